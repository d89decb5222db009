package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.makeIpv4TcpServer;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.examples.selftest.SelfTest;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The entry point of {@code bbipc-examples.jar}: the echo server, the echo client, a demo, a report
 * of the transports and a selftest of what works on this machine.
 */
public final class Main {
  /** The exit code for a bad command line. */
  public static final int USAGE_ERROR = 2;

  /** The exit code for a failure after the command line was accepted. */
  public static final int FAILURE = 1;

  static final String USAGE =
      String.join(
          System.lineSeparator(),
          "usage: java -jar bbipc-examples.jar COMMAND",
          "  echo-server PORT [HOST]       serve echo clients on HOST:PORT until killed",
          "                                (HOST default 127.0.0.1; PORT 0 picks a free port)",
          "  echo-client MESSAGE HOST PORT send MESSAGE to an echo server and print the reply",
          "  demo                          run a server and a client in this process",
          "  transports                    list the transports, whether each runs here, and the pick",
          "  selftest                      check what works here: every transport, over TCP on",
          "                                127.0.0.1 and ::1 and local sockets; exit 0 if everything",
          "                                that applies passed",
          "HOST is an IPv4 dotted quad such as 127.0.0.1; PORT is a number from 0 to 65535.");

  private static final List<String> DEMO_MESSAGES =
      List.of("Hello World", "basic-binary-ipc, now on Netty", "Goodbye");
  private static final Pattern DOTTED_QUAD =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  private Main() {}

  /**
   * Runs the command named by {@code args} and exits the JVM with its exit code.
   *
   * @param args the command line, as described by the usage text
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the command named by {@code args}, printing on the given streams.
   *
   * <p>{@code echo-server} returns only when the calling thread is interrupted.
   *
   * @param args the command line, as described by the usage text
   * @param out where results go
   * @param err where errors and the usage text go
   * @return 0 on success, {@value #FAILURE} if the command failed, {@value #USAGE_ERROR} for a bad
   *     command line
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      return usage(err, null);
    }
    switch (args[0]) {
      case "echo-server":
        {
          if (args.length < 2 || args.length > 3) {
            return usage(err, "echo-server takes PORT and an optional HOST");
          }
          int port = parsePort(args[1], true);
          if (port < 0) {
            return usage(err, "PORT must be a number from 0 to 65535, was '" + args[1] + "'");
          }
          String host = args.length == 3 ? args[2] : IPV4_LOOPBACK;
          if (!isDottedQuad(host)) {
            return usage(err, "HOST must be an IPv4 dotted quad, was '" + host + "'");
          }
          return echoServer(port, host, out, err);
        }
      case "echo-client":
        {
          if (args.length != 4) {
            return usage(err, "echo-client takes MESSAGE, HOST and PORT");
          }
          if (!isDottedQuad(args[2])) {
            return usage(err, "HOST must be an IPv4 dotted quad, was '" + args[2] + "'");
          }
          // No server listens on port 0, so it is a mistake here rather than a "pick any".
          int port = parsePort(args[3], false);
          if (port < 0) {
            return usage(err, "PORT must be a number from 1 to 65535, was '" + args[3] + "'");
          }
          return echoClient(args[1], args[2], port, out, err);
        }
      case "demo":
        if (args.length != 1) {
          return usage(err, "demo takes no arguments");
        }
        return demo(out, err);
      case "transports":
        if (args.length != 1) {
          return usage(err, "transports takes no arguments");
        }
        out.print(Ipc.transportReport());
        return 0;
      case "selftest":
        if (args.length != 1) {
          return usage(err, "selftest takes no arguments");
        }
        return SelfTest.run(out);
      case "-h":
      case "--help":
      case "help":
        out.println(USAGE);
        return 0;
      default:
        return usage(err, "unknown command '" + args[0] + "'");
    }
  }

  private static int usage(PrintStream err, String problem) {
    if (problem != null) {
      err.println("error: " + problem);
    }
    err.println(USAGE);
    return USAGE_ERROR;
  }

  /** Returns the port, or -1 if {@code text} is not a decimal number in range. */
  static int parsePort(String text, boolean zeroAllowed) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int port = Integer.parseInt(text);
    return port > 65535 || port == 0 && !zeroAllowed ? -1 : port;
  }

  static boolean isDottedQuad(String text) {
    Matcher m = DOTTED_QUAD.matcher(text);
    if (!m.matches()) {
      return false;
    }
    for (int group = 1; group <= 4; group++) {
      if (Integer.parseInt(m.group(group)) > 255) {
        return false;
      }
    }
    return true;
  }

  private static int echoServer(int port, String host, PrintStream out, PrintStream err) {
    // EchoExample's options: a client that shuts its output down after sending still gets its echo.
    try (Ipv4TcpServer server = makeIpv4TcpServer(host, port, EchoExample.SERVER_OPTIONS)) {
      // The port that port 0 picked is only known now, and a script needs it to connect.
      out.println("echo server listening on " + server.hostAddress() + ":" + server.port());
      out.flush();
      EchoExample.serve(server);
      return 0;
    } catch (IpcException e) {
      err.println("echo-server: " + e.getMessage());
      return FAILURE;
    }
  }

  private static int echoClient(
      String message, String host, int port, PrintStream out, PrintStream err) {
    try {
      out.println(EchoExample.sendToServer(message, host, port));
      return 0;
    } catch (IpcException e) {
      err.println("echo-client: " + e.getMessage());
      return FAILURE;
    }
  }

  private static int demo(PrintStream out, PrintStream err) {
    Ipv4TcpServer server;
    try {
      server = makeIpv4TcpServer(IPV4_LOOPBACK, 0, EchoExample.SERVER_OPTIONS);
    } catch (IpcException e) {
      err.println("demo: " + e.getMessage());
      return FAILURE;
    }
    AtomicReference<IpcException> serverFailure = new AtomicReference<>();
    Thread serving =
        new Thread(
            () -> {
              try {
                EchoExample.serve(server);
              } catch (IpcException e) {
                serverFailure.set(e);
              }
            },
            "bbipc-echo-server");
    // Should anything below hang, the JVM must still be able to exit.
    serving.setDaemon(true);
    int status = 0;
    try {
      out.println("echo server listening on " + server.hostAddress() + ":" + server.port());
      serving.start();
      for (String message : DEMO_MESSAGES) {
        out.println("sent: " + message);
        String reply = EchoExample.sendToServer(message, server.hostAddress(), server.port());
        out.println("received: " + reply);
        if (!reply.equals(message)) {
          err.println("demo: the echo differs from what was sent");
          status = FAILURE;
        }
      }
    } catch (IpcException e) {
      err.println("demo: " + e.getMessage());
      status = FAILURE;
    } finally {
      status = Math.max(status, stop(serving, server, err));
    }
    if (serverFailure.get() != null) {
      err.println("demo: the server failed: " + serverFailure.get().getMessage());
      status = FAILURE;
    }
    if (status == 0) {
      out.println("echo server stopped");
    }
    return status;
  }

  /** Interrupts the server's thread, which ends its poll at once, then closes the server. */
  private static int stop(Thread serving, Ipv4TcpServer server, PrintStream err) {
    serving.interrupt();
    try {
      serving.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      server.close();
    }
    if (serving.isAlive()) {
      err.println("demo: the server thread did not stop within 10 s");
      return FAILURE;
    }
    return 0;
  }
}
