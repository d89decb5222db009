/**
 * The service interface that transport modules implement to plug a Netty transport into bbipc, and
 * the base its native transports (epoll, io_uring, kqueue) share.
 */
package io.bbipc.spi;
