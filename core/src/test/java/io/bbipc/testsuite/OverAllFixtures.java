package io.bbipc.testsuite;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.MethodSource;

/** A {@link FixtureTest} over {@link Fixture#all()}: every pair, TCP and local. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@FixtureTest
@MethodSource("io.bbipc.testsuite.Fixture#all")
public @interface OverAllFixtures {}
