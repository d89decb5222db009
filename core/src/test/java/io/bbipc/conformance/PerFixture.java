package io.bbipc.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * A test run once per {@link Fixture} of the {@code @MethodSource} it names, each run named after
 * its fixture, and skipped with the reason where the fixture's transports cannot run here.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}")
@ExtendWith(PerFixture.SkipUnavailable.class)
public @interface PerFixture {

  /** Calls {@link Fixture#assumeAvailable()} on a run's fixture before the test body. */
  final class SkipUnavailable implements InvocationInterceptor {
    @Override
    public void interceptTestTemplateMethod(
        Invocation<Void> invocation,
        ReflectiveInvocationContext<Method> call,
        ExtensionContext context)
        throws Throwable {
      for (Object argument : call.getArguments()) {
        if (argument instanceof Fixture) {
          try {
            ((Fixture) argument).assumeAvailable();
          } catch (org.opentest4j.TestAbortedException unavailable) {
            invocation.skip();
            throw unavailable;
          }
        }
      }
      invocation.proceed();
    }
  }
}
