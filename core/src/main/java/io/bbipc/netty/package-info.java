/** Using bbipc from inside a Netty application: adopting the application's own channels. */
package io.bbipc.netty;
