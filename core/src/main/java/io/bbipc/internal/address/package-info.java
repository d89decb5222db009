/**
 * What names a socket, checked before any I/O: IPv4 and IPv6 literals and ports ({@link
 * io.bbipc.internal.address.Addresses}), local socket files, made without clobbering and deleted
 * only while still the server's own ({@link io.bbipc.internal.address.SocketFiles}), and Linux
 * abstract names ({@link io.bbipc.internal.address.AbstractNames}). Not exported, as all of {@code
 * io.bbipc.internal}.
 */
package io.bbipc.internal.address;
