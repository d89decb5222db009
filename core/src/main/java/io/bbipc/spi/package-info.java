/** The service interface that transport modules implement to plug a Netty transport into bbipc. */
package io.bbipc.spi;
