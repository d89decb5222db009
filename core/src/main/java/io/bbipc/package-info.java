/**
 * Binary byte streams between processes over TCP (IPv4 and IPv6) and local sockets (files or Linux
 * abstract names), with non-blocking reads and writes and level-triggered polling: a Java port of
 * basic-binary-ipc on Netty.
 *
 * <p>{@link io.bbipc.BasicBinaryIpc} holds the original's functions on a shared runtime; {@link
 * io.bbipc.Ipc} makes runtimes of one's own.
 */
package io.bbipc;
