package io.bbipc.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.MethodSource;

/** A {@link PerFixture} over {@link Fixture#local()}: every pair, local sockets. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@PerFixture
@MethodSource("io.bbipc.conformance.Fixture#local")
public @interface OverLocalFixtures {}
