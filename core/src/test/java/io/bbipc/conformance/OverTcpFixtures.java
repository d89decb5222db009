package io.bbipc.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.MethodSource;

/** A {@link PerFixture} over {@link Fixture#tcp()}: every pair, TCP on 127.0.0.1. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@PerFixture
@MethodSource("io.bbipc.conformance.Fixture#tcp")
public @interface OverTcpFixtures {}
