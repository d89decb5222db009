package io.bbipc;

import io.bbipc.internal.IpcRuntime;
import io.bbipc.internal.SocketMaker;
import io.bbipc.internal.Threads;
import io.bbipc.internal.Transports;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A bbipc runtime: one Netty event loop group and transport, and every socket and poller made with
 * it. Sockets of different runtimes may be polled together.
 */
public final class Ipc implements AutoCloseable {
  /** The default bound of each stream's inbound and outbound buffers: 1 MiB. */
  public static final int DEFAULT_BUFFER_LIMIT = 1 << 20;

  /**
   * How far past its {@link Builder#inboundBufferLimit inbound limit} a stream's buffer may go
   * while the peer is connected: two socket reads of at most 64 KiB, the one that crossed the limit
   * and one the transport may already have under way (io_uring), so a stream holds at most {@code
   * limit - 1 + MAX_READ_OVERSHOOT} received bytes.
   */
  public static final int MAX_READ_OVERSHOOT = 2 * 64 * 1024;

  /** The default time a TCP connect may take before it fails: 30 s. */
  public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 30_000;

  /** The default spin before a waiting thread parks: none. */
  public static final long DEFAULT_SPIN_NANOS = 0;

  private final IpcRuntime runtime;
  private final SocketMaker sockets;
  private final boolean shared;

  private Ipc(IpcRuntime runtime, boolean shared) {
    this.runtime = runtime;
    this.sockets = new SocketMaker(runtime);
    this.shared = shared;
  }

  /**
   * The process-wide runtime, published only once made: a failure (a bad {@code bbipc.transport})
   * leaves it unset, so every call reports that failure and a corrected property works on the next
   * one. A class holder would instead fail its initialisation for good.
   */
  private static volatile Ipc sharedInstance;

  private static final Object SHARED_LOCK = new Object();

  /**
   * Returns the process-wide runtime that {@link BasicBinaryIpc} uses, made on first use with
   * daemon threads and the transport {@code Ipc.create()} would pick.
   *
   * @return the shared runtime; its {@link #close()} does nothing
   * @throws IllegalArgumentException if the {@code bbipc.transport} property names a transport that
   *     is unknown or unavailable; each call until one succeeds reads the property afresh
   */
  public static Ipc shared() {
    Ipc made = sharedInstance;
    if (made != null) {
      return made;
    }
    synchronized (SHARED_LOCK) {
      made = sharedInstance;
      if (made == null) {
        made =
            new Ipc(
                IpcRuntime.create(
                    Transports.fromPropertyOrBest(),
                    defaultIoThreads(),
                    DEFAULT_BUFFER_LIMIT,
                    DEFAULT_BUFFER_LIMIT,
                    p -> {},
                    DEFAULT_CONNECT_TIMEOUT_MILLIS),
                true);
        sharedInstance = made;
      }
      return made;
    }
  }

  /**
   * Returns a new runtime with its own event loop group on the best available transport, or on the
   * one the {@code bbipc.transport} system property names.
   *
   * @return the runtime, to be closed by the caller
   * @throws IllegalArgumentException if the {@code bbipc.transport} property names a transport that
   *     is unknown or unavailable
   */
  public static Ipc create() {
    return builder().build();
  }

  /**
   * Returns a builder for a runtime with chosen transport, threads and buffer limits.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Lists every transport found (on the class path, or on the module path through {@code provides
   * io.bbipc.spi.TransportProvider}), available or not, best first: by priority, highest first. NIO
   * is always among them, and always available.
   *
   * @return an unmodifiable list, made anew on each call
   */
  public static List<TransportInfo> transports() {
    List<TransportInfo> all = new ArrayList<>();
    for (TransportProvider p : Transports.all()) {
      all.add(new TransportInfo(p));
    }
    return Collections.unmodifiableList(all);
  }

  /**
   * Describes every transport found: its priority, whether it can run here and why not, and which
   * one {@link #create()} would pick; the same facts as {@link #transports()}, for a person to
   * read.
   *
   * @return a multi-line report, one transport per line, best first, then the pick
   */
  public static String transportReport() {
    StringBuilder b = new StringBuilder();
    for (TransportInfo t : transports()) {
      b.append(t).append(System.lineSeparator());
    }
    String picked;
    try {
      picked = Transports.fromPropertyOrBest().name();
    } catch (IllegalArgumentException e) {
      picked = "none: " + e.getMessage();
    }
    return b.append("Ipc.create() picks: ")
        .append(picked)
        .append(System.lineSeparator())
        .toString();
  }

  private static int defaultIoThreads() {
    return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 4));
  }

  /**
   * Returns the name of the transport this runtime runs on.
   *
   * @return {@code "epoll"}, {@code "kqueue"}, {@code "io_uring"} or {@code "nio"}
   */
  public String transportName() {
    return runtime.transportName();
  }

  /**
   * Tells whether this runtime is caller-driven: it has no I/O thread, and its owner runs its I/O
   * inside its own calls.
   *
   * @return true if it was built with {@link Builder#callerDriven(boolean) callerDriven(true)}
   */
  public boolean isCallerDriven() {
    return runtime.isCallerDriven();
  }

  /**
   * Returns the thread that owns this runtime if it is caller-driven.
   *
   * @return the owner, the thread that built the runtime; empty for a runtime with threads
   */
  public Optional<Thread> owner() {
    return Optional.ofNullable(runtime.owner());
  }

  /**
   * Sums the statistics of every stream and server this runtime handed out, from any thread.
   *
   * @return the sums now; what closed sockets moved stays counted
   */
  public IpcStats stats() {
    return runtime.stats();
  }

  /**
   * Returns the event loop group this runtime's sockets run on.
   *
   * @return the group, owned by this runtime unless it was borrowed through the builder
   */
  public EventLoopGroup eventLoopGroup() {
    return runtime.eventLoopGroup();
  }

  /**
   * Makes a TCP server listening on an IPv4 address.
   *
   * @param hostAddress a dotted quad, such as {@link BasicBinaryIpc#IPV4_LOOPBACK}
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use
   * @throws IllegalArgumentException if the address or port is malformed
   */
  public Ipv4TcpServer makeIpv4TcpServer(String hostAddress, int port) throws IpcException {
    return sockets.makeIpv4TcpServer(hostAddress, port, ServerOptions.defaults());
  }

  /**
   * Makes a TCP server listening on an IPv4 address, with options.
   *
   * @param hostAddress a dotted quad, such as {@link BasicBinaryIpc#IPV4_LOOPBACK}
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @param options reuse-address and backlog
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use
   * @throws IllegalArgumentException if the address or port is malformed
   */
  public Ipv4TcpServer makeIpv4TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    return sockets.makeIpv4TcpServer(hostAddress, port, options);
  }

  /**
   * Starts connecting to a TCP server; the outcome is reported by the stream's events.
   *
   * @param hostAddress the server's dotted quad
   * @param port the server's port, 0 to 65535
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if the address or port is malformed
   */
  public Ipv4TcpStream connectToIpv4TcpServer(String hostAddress, int port) throws IpcException {
    return sockets.connectToIpv4TcpServer(hostAddress, port, null, 0);
  }

  /**
   * Starts connecting to a TCP server from a chosen local address and port; a local address that
   * cannot be bound makes the connection fail.
   *
   * @param hostAddress the server's dotted quad
   * @param port the server's port, 0 to 65535
   * @param localHostAddress the local dotted quad, or null for any
   * @param localPort the local port, or 0 for any
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if an address or port is malformed
   */
  public Ipv4TcpStream connectToIpv4TcpServer(
      String hostAddress, int port, String localHostAddress, int localPort) throws IpcException {
    return sockets.connectToIpv4TcpServer(hostAddress, port, localHostAddress, localPort);
  }

  /**
   * Makes a TCP server listening on an IPv6 address; on {@code ::} it takes IPv4 clients too.
   *
   * @param hostAddress an IPv6 literal, such as {@link BasicBinaryIpc#IPV6_LOOPBACK}: eight groups
   *     of hex digits, one {@code ::} allowed, the last 32 bits optionally a dotted quad, and an
   *     optional zone ({@code %lo}, {@code %1}); no brackets, no host names
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use or the system has
   *     no IPv6
   * @throws IllegalArgumentException if the address or port is malformed, the address is a dotted
   *     quad, or its zone names no interface here
   */
  public Ipv6TcpServer makeIpv6TcpServer(String hostAddress, int port) throws IpcException {
    return sockets.makeIpv6TcpServer(hostAddress, port, ServerOptions.defaults());
  }

  /**
   * Makes a TCP server listening on an IPv6 address, with options.
   *
   * @param hostAddress an IPv6 literal, such as {@link BasicBinaryIpc#IPV6_LOOPBACK}
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @param options reuse-address and backlog
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use or the system has
   *     no IPv6
   * @throws IllegalArgumentException if the address or port is malformed, the address is a dotted
   *     quad, or its zone names no interface here
   */
  public Ipv6TcpServer makeIpv6TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    return sockets.makeIpv6TcpServer(hostAddress, port, options);
  }

  /**
   * Starts connecting to a TCP server on an IPv6 address; the outcome is reported by the stream's
   * events, and an IPv4-mapped address ({@code ::ffff:127.0.0.1}) reaches an IPv4 server.
   *
   * @param hostAddress the server's IPv6 literal
   * @param port the server's port, 0 to 65535
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if the address or port is malformed, the address is a dotted
   *     quad, or its zone names no interface here
   */
  public Ipv6TcpStream connectToIpv6TcpServer(String hostAddress, int port) throws IpcException {
    return sockets.connectToIpv6TcpServer(hostAddress, port, null, 0);
  }

  /**
   * Starts connecting to a TCP server on an IPv6 address from a chosen local address and port; a
   * local address that cannot be bound makes the connection fail.
   *
   * @param hostAddress the server's IPv6 literal
   * @param port the server's port, 0 to 65535
   * @param localHostAddress the local IPv6 literal, or null for any
   * @param localPort the local port, or 0 for any
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if an address or port is malformed, an address is a dotted
   *     quad, or a zone names no interface here
   */
  public Ipv6TcpStream connectToIpv6TcpServer(
      String hostAddress, int port, String localHostAddress, int localPort) throws IpcException {
    return sockets.connectToIpv6TcpServer(hostAddress, port, localHostAddress, localPort);
  }

  /**
   * Makes a server on a new local socket file, private to its owner (mode 0600).
   *
   * @param pathname where the socket file goes; nothing may exist there yet
   * @return the listening server
   * @throws IpcException if anything exists at {@code pathname} or it cannot be bound
   * @throws IllegalArgumentException if the path is longer than local sockets allow
   */
  public LocalServer makeLocalServer(Path pathname) throws IpcException {
    return sockets.makeLocalServer(pathname, ServerOptions.defaults());
  }

  /**
   * Makes a server on a new local socket file, with options.
   *
   * @param pathname where the socket file goes; nothing may exist there yet
   * @param options backlog and delete-on-close
   * @return the listening server
   * @throws IpcException if anything exists at {@code pathname} or it cannot be bound
   * @throws IllegalArgumentException if the path is longer than local sockets allow
   */
  public LocalServer makeLocalServer(Path pathname, ServerOptions options) throws IpcException {
    return sockets.makeLocalServer(pathname, options);
  }

  /**
   * Makes a local server on a Linux abstract socket name, which has no file: nothing to create,
   * clobber or delete, and no file permissions either, so consider {@link
   * ServerOptions#allowedPeerUids}.
   *
   * @param name 1 to 107 bytes of UTF-8, no NUL; the server reports it as the path {@code @name}
   * @param options backlog and allowed peer uids
   * @return the listening server
   * @throws IpcException if the name is taken
   * @throws IllegalArgumentException if the name is empty, too long or holds NUL
   * @throws UnsupportedOperationException on a transport without abstract names (NIO, kqueue)
   */
  public LocalServer makeAbstractLocalServer(String name, ServerOptions options)
      throws IpcException {
    return sockets.makeAbstractLocalServer(name, options);
  }

  /**
   * Connects to a local server on a Linux abstract socket name.
   *
   * @param name the server's name, without the leading {@code @}
   * @return the stream, connected unless the server's backlog was full
   * @throws NoLocalServerException if no server listens on that name
   * @throws IllegalArgumentException if the name is empty, too long or holds NUL
   * @throws UnsupportedOperationException on a transport without abstract names (NIO, kqueue)
   */
  public LocalStream connectToAbstractLocalServer(String name) throws IpcException {
    return sockets.connectToAbstractLocalServer(name);
  }

  /**
   * Connects to a local server.
   *
   * @param pathname the server's socket file
   * @return the stream, connected unless the server's backlog was full
   * @throws NoLocalServerException if no server listens at {@code pathname}
   * @throws IpcException if the connection is refused for another reason, e.g. permissions
   * @throws IllegalArgumentException if the path is longer than local sockets allow
   */
  public LocalStream connectToLocalServer(Path pathname) throws IpcException {
    return sockets.connectToLocalServer(pathname);
  }

  /**
   * Makes a poller.
   *
   * @return a new poller, to be closed by the caller
   * @throws IpcException if the runtime is closed
   */
  public Poller makePoller() throws IpcException {
    return runtime.makePoller();
  }

  /**
   * Closes every socket and poller this runtime made, then its event loop group unless it was
   * borrowed; idempotent, and a no-op on {@link #shared()}.
   *
   * <p>On a caller-driven runtime, the owner's close lets the streams deliver what they accepted,
   * those closed earlier by any thread included, for up to 2 seconds, and releases every descriptor
   * before it returns; inside a callback the runtime runs, where it cannot wait, it does so as soon
   * as that run ends, before the owner's call that ran the callback returns. Another thread's close
   * marks everything closed at once and leaves the rest to the owner's next call into any runtime
   * it owns.
   */
  @Override
  public void close() {
    if (!shared) {
      runtime.close();
    }
  }

  @Override
  public String toString() {
    return "Ipc[" + runtime.transportName() + (shared ? ", shared]" : "]");
  }

  /** Chooses a runtime's transport, event loop group, threads and buffer limits. */
  public static final class Builder {
    private String transport;
    private EventLoopGroup group;
    private int ioThreads = defaultIoThreads();
    private int inboundBufferLimit = DEFAULT_BUFFER_LIMIT;
    private int outboundBufferLimit = DEFAULT_BUFFER_LIMIT;
    private Consumer<ChannelPipeline> pipeline = p -> {};
    private int connectTimeoutMillis = DEFAULT_CONNECT_TIMEOUT_MILLIS;
    private long spinNanos = DEFAULT_SPIN_NANOS;
    private boolean halfClosure;
    private boolean callerDriven;
    private boolean ioThreadsSet;

    /** Null until {@link #busyPoll} is called. */
    private Duration busyPoll;

    private Builder() {}

    /**
     * Sets how long a thread waiting in {@code poll}, {@code pollSockets} or {@code waitForEvents}
     * spins before it parks. Waking a parked thread costs tens of microseconds (more where an idle
     * CPU sleeps), so a short spin cuts the latency of a busy request/response exchange, at the
     * price of that much CPU per wait that finds nothing.
     *
     * @param spin zero to park at once, up to one second
     * @return this builder
     * @throws IllegalArgumentException if {@code spin} is negative or longer than a second
     */
    public Builder spinBeforePark(Duration spin) {
      this.spinNanos = upToASecond(spin, "spinBeforePark").toNanos();
      return this;
    }

    /**
     * Makes the runtime caller-driven: {@link #build()} starts no thread, the thread that calls it
     * owns the runtime, and everything the runtime's sockets and pollers do happens on that thread,
     * inside its own calls on them. Another thread may still call {@code close()} and {@code
     * isClosed()} on its sockets and pollers; {@code stats()}, {@code supportedEvents()}, the
     * addresses, ports and pathnames, {@code peerCredentials()} and {@code rejectedConnections()}
     * on its sockets; and {@link Ipc#close()}, {@link Ipc#stats()}, {@link Ipc#transportName()},
     * {@link Ipc#isCallerDriven()}, {@link Ipc#owner()} and {@link Ipc#eventLoopGroup()} on the
     * runtime. Every other call from another thread throws {@link IllegalStateException} naming the
     * owner: polling, reading, writing, {@code shutdownOutput}, {@code whenReady}, accepting, the
     * event predicates, a poller's monitoring and waiting, {@code pollSockets} over its sockets,
     * making sockets and pollers, and {@code NettyIpc.adopt}.
     *
     * @param callerDriven true for a caller-driven runtime; the default is false
     * @return this builder
     */
    public Builder callerDriven(boolean callerDriven) {
      this.callerDriven = callerDriven;
      return this;
    }

    /**
     * Sets how long a caller-driven runtime's owner, when it waits, keeps asking the kernel without
     * blocking before it blocks in the transport's wait: a shorter round trip when the answer comes
     * soon, for that much CPU per wait.
     *
     * @param spin zero (the default) to block at once, up to one second
     * @return this builder
     * @throws IllegalArgumentException if {@code spin} is negative or longer than a second
     */
    public Builder busyPoll(Duration spin) {
      this.busyPoll = upToASecond(spin, "busyPoll");
      return this;
    }

    /** {@code spin}, once checked to be between zero and a second, as {@code option} needs. */
    private static Duration upToASecond(Duration spin, String option) {
      Objects.requireNonNull(spin, "spin");
      if (spin.isNegative() || spin.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException(option + " must be between 0 and 1 s, was " + spin);
      }
      return spin;
    }

    /**
     * Sets handlers to install in every stream channel the runtime makes, connecting or accepted,
     * before bbipc's own buffering handler (TLS, compression, logging).
     *
     * @param initializer adds handlers with {@code addLast}; runs on the event loop for accepted
     *     streams and on the connecting thread for connecting ones (before the channel is
     *     registered), and must not block
     * @return this builder
     */
    public Builder pipeline(Consumer<ChannelPipeline> initializer) {
      this.pipeline = Objects.requireNonNull(initializer, "initializer");
      return this;
    }

    /**
     * Sets how long a TCP connect may stay undetermined before it fails with {@code
     * CONNECTION_FAILED}.
     *
     * @param timeout more than zero and at most {@link Integer#MAX_VALUE} milliseconds; the default
     *     is 30 s
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero, negative or too long
     */
    public Builder connectTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative()
          || timeout.isZero()
          || timeout.toMillis() > Integer.MAX_VALUE
          || timeout.toMillis() == 0) {
        throw new IllegalArgumentException(
            "connectTimeout must be between 1 ms and " + Integer.MAX_VALUE + " ms, was " + timeout);
      }
      this.connectTimeoutMillis = (int) timeout.toMillis();
      return this;
    }

    /**
     * Lets the streams this runtime connects stay open for writing after their peer has finished
     * sending ({@link StreamSocket#shutdownOutput}): the peer's end-of-stream makes {@code
     * REMOTE_DISCONNECTED} hold while {@code CONNECTION_SUCCEEDED} and {@code READY_TO_WRITE} still
     * do. A peer that resets rather than finishing sending is disconnected as without half-closure.
     * Accepted streams follow {@link ServerOptions#halfClosure}.
     *
     * @param allow true to allow half-closed streams; the default is false
     * @return this builder
     */
    public Builder halfClosure(boolean allow) {
      this.halfClosure = allow;
      return this;
    }

    /**
     * Names the transport to run on, instead of the best available one.
     *
     * @param name {@code "epoll"}, {@code "kqueue"}, {@code "io_uring"}, {@code "nio"} or another
     *     provider's name
     * @return this builder
     * @throws IllegalArgumentException if no available provider has that name; the message lists
     *     every provider and why it is or is not available
     */
    public Builder transport(String name) {
      Objects.requireNonNull(name, "name");
      Transports.named(name);
      this.transport = name;
      return this;
    }

    /**
     * Runs the runtime on an application's event loop group, which {@link Ipc#close()} leaves
     * running; the transport follows from the group's I/O handler.
     *
     * @param group a group made with an available transport's I/O handler
     * @return this builder
     * @throws IllegalArgumentException if the group runs no available transport
     */
    public Builder eventLoopGroup(EventLoopGroup group) {
      Objects.requireNonNull(group, "group");
      Transports.forGroup(group);
      this.group = group;
      return this;
    }

    /**
     * Sets the number of event loop threads of a runtime's own group.
     *
     * @param threads 1 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder ioThreads(int threads) {
      this.ioThreads = atLeastOne(threads, "ioThreads must be at least 1");
      this.ioThreadsSet = true;
      return this;
    }

    /**
     * Sets how many received bytes a stream buffers before it stops reading from its socket. The
     * limit is soft: the read that crosses it is kept whole, and a transport may have one more read
     * under way, so a stream holds at most {@code bytes - 1 + }{@link #MAX_READ_OVERSHOOT} bytes
     * while its peer is connected (a pipeline handler that gathers bytes into larger messages can
     * pass on more). Once the peer has closed or reset the connection, the bytes the kernel still
     * holds for it are read regardless of the limit, so that none is lost; that is at most the
     * socket's receive buffer.
     *
     * @param bytes 1 or more; the default is 1 MiB
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is less than 1
     */
    public Builder inboundBufferLimit(int bytes) {
      this.inboundBufferLimit = atLeastOne(bytes, "inboundBufferLimit must be at least 1 byte");
      return this;
    }

    /**
     * Sets how many written bytes a stream queues before {@code writeToStream} returns 0.
     *
     * @param bytes 1 or more; the default is 1 MiB
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is less than 1
     */
    public Builder outboundBufferLimit(int bytes) {
      this.outboundBufferLimit = atLeastOne(bytes, "outboundBufferLimit must be at least 1 byte");
      return this;
    }

    /** {@code value}, once checked to be 1 or more: {@code rule} says what it must be. */
    private static int atLeastOne(int value, String rule) {
      if (value < 1) {
        throw new IllegalArgumentException(rule + ", was " + value);
      }
      return value;
    }

    /**
     * Makes the runtime.
     *
     * @return the new runtime
     * @throws IllegalArgumentException if the named transport contradicts the borrowed group's, the
     *     {@code bbipc.transport} property names an unknown or unavailable transport, a
     *     caller-driven runtime is given an event loop group or I/O threads, or {@code busyPoll} is
     *     set on a runtime that is not caller-driven
     * @throws IllegalStateException if a caller-driven runtime is built on a virtual thread, whose
     *     carrier the transport's native wait would pin
     */
    public Ipc build() {
      IpcRuntime runtime = callerDriven ? callerDrivenRuntime() : runtimeWithThreads();
      runtime.spinNanos(spinNanos);
      runtime.halfClosure(halfClosure);
      return new Ipc(runtime, false);
    }

    /** A runtime owned by this thread, after the settings that contradict it are refused. */
    private IpcRuntime callerDrivenRuntime() {
      if (group != null) {
        throw new IllegalArgumentException(
            "a caller-driven runtime runs on no event loop group:"
                + " its owner runs its I/O; eventLoopGroup("
                + group
                + ") contradicts callerDriven(true)");
      }
      if (ioThreadsSet) {
        throw new IllegalArgumentException(
            "a caller-driven runtime has no I/O threads: ioThreads("
                + ioThreads
                + ") contradicts callerDriven(true)");
      }
      if (Threads.isVirtual(Thread.currentThread())) {
        throw new IllegalStateException(
            "cannot make a caller-driven runtime owned by virtual thread "
                + Thread.currentThread()
                + ": its waits block in the transport's native wait (epoll_wait,"
                + " io_uring_enter, Selector.select), which would pin the carrier thread; build it on a"
                + " platform thread, or use a runtime with I/O threads, whose waits park");
      }
      return IpcRuntime.createCallerDriven(
          provider(),
          busyPoll == null ? 0 : busyPoll.toNanos(),
          inboundBufferLimit,
          outboundBufferLimit,
          pipeline,
          connectTimeoutMillis);
    }

    /** A runtime on its own event loop group, or on the borrowed one whose transport it takes. */
    private IpcRuntime runtimeWithThreads() {
      if (busyPoll != null) {
        throw new IllegalArgumentException(
            "busyPoll("
                + busyPoll
                + ") applies to a caller-driven"
                + " runtime only; add callerDriven(true), or use spinBeforePark for waits that park");
      }
      if (group == null) {
        return IpcRuntime.create(
            provider(),
            ioThreads,
            inboundBufferLimit,
            outboundBufferLimit,
            pipeline,
            connectTimeoutMillis);
      }
      TransportProvider fromGroup = Transports.forGroup(group);
      if (transport != null && !transport.equals(fromGroup.name())) {
        throw new IllegalArgumentException(
            "transport \""
                + transport
                + "\" contradicts the "
                + "borrowed event loop group, which runs \""
                + fromGroup.name()
                + "\"");
      }
      return IpcRuntime.borrow(
          fromGroup,
          group,
          inboundBufferLimit,
          outboundBufferLimit,
          pipeline,
          connectTimeoutMillis);
    }

    /**
     * The transport named, else the one the {@code bbipc.transport} property names, or the best.
     */
    private TransportProvider provider() {
      return transport != null ? Transports.named(transport) : Transports.fromPropertyOrBest();
    }
  }
}
