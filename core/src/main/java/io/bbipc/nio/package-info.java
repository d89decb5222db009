/**
 * The NIO transport, built into core as the one that runs everywhere: Netty's NIO channels for TCP,
 * and bbipc's own for local sockets, which keep writing after the peer's end-of-stream. Not
 * exported: {@link java.util.ServiceLoader} finds the provider through the module's {@code
 * provides}, and bbipc's channel factory, in the same module, makes the channels.
 */
package io.bbipc.nio;
