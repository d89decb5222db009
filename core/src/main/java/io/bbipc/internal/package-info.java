/** The implementation of bbipc; nothing here is API and any of it may change. */
package io.bbipc.internal;
