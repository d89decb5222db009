package io.bbipc.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The one inbound buffer of a stream: the ByteBufs the event loop read, kept as they are until a
 * reader copies them out; only small chunks are copied, into the last chunk's free room, so that
 * memory stays close to the bytes held.
 *
 * <p>The event loop appends, any thread reads; a monitor serialises them. {@link #readable()} is
 * volatile so predicates and polls read it without the lock.
 */
final class InboundBuffer {
  /** Room for small chunks to be gathered in, so no chunk is much bigger than its bytes. */
  private static final int COMPACT_CAPACITY = 4096;

  private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
  private volatile int readable;

  /** Bytes taken by reads (not peeks) since the stream began; written under the monitor. */
  private volatile long consumed;

  private boolean released;

  /**
   * The buffer small chunks are gathered in: one bbipc allocated itself, and only while it is the
   * last chunk. A chunk a pipeline handler passed on may be read-only or share its memory with
   * another buffer, so bytes are never appended to one of those.
   */
  private ByteBuf gathering;

  /**
   * Takes ownership of {@code chunk}.
   *
   * @return the number of bytes buffered afterwards
   */
  synchronized int add(ByteBuf chunk, ByteBufAllocator alloc) {
    int n = chunk.readableBytes();
    if (released || n == 0) {
      chunk.release();
      return readable;
    }
    ByteBuf last = chunks.peekLast();
    if (last != null && last == gathering && last.writableBytes() >= n) {
      // A peer that writes a byte at a time would otherwise leave one mostly empty read buffer
      // per byte: the limit counts bytes, so memory would be tens of times the limit.
      last.writeBytes(chunk);
      chunk.release();
    } else if (n < chunk.capacity() / 2) {
      // a sparse chunk: keep its bytes in a buffer with room for the small ones that follow
      ByteBuf compact = alloc.buffer(Math.max(n, COMPACT_CAPACITY));
      compact.writeBytes(chunk);
      chunk.release();
      chunks.addLast(compact);
      gathering = compact;
    } else {
      chunks.addLast(chunk);
      gathering = null;
    }
    readable += n;
    return readable;
  }

  long consumed() {
    return consumed;
  }

  int readable() {
    return readable;
  }

  /** Copies up to {@code length} bytes into {@code dst[offset..]}; consumes them unless peeking. */
  synchronized int read(byte[] dst, int offset, int length, boolean peek) {
    int copied = 0;
    Iterator<ByteBuf> it = chunks.iterator();
    while (copied < length && it.hasNext()) {
      ByteBuf chunk = it.next();
      int n = Math.min(length - copied, chunk.readableBytes());
      chunk.getBytes(chunk.readerIndex(), dst, offset + copied, n);
      copied += n;
      if (!peek) {
        consume(it, chunk, n);
      }
    }
    if (!peek) {
      readable -= copied;
      consumed += copied;
    }
    return copied;
  }

  /** Copies into {@code dst} from its position to its limit, advancing the position. */
  synchronized int read(ByteBuffer dst) {
    int copied = 0;
    Iterator<ByteBuf> it = chunks.iterator();
    while (dst.hasRemaining() && it.hasNext()) {
      ByteBuf chunk = it.next();
      int n = Math.min(dst.remaining(), chunk.readableBytes());
      int limit = dst.limit();
      dst.limit(dst.position() + n);
      chunk.getBytes(chunk.readerIndex(), dst);
      dst.limit(limit);
      copied += n;
      consume(it, chunk, n);
    }
    readable -= copied;
    consumed += copied;
    return copied;
  }

  private void consume(Iterator<ByteBuf> it, ByteBuf chunk, int n) {
    if (n == chunk.readableBytes()) {
      it.remove();
      if (chunk == gathering) {
        gathering = null;
      }
      chunk.release();
    } else {
      chunk.skipBytes(n);
    }
  }

  /** Releases every chunk; later {@link #add}s release at once. Idempotent. */
  synchronized void release() {
    released = true;
    gathering = null;
    ByteBuf chunk;
    while ((chunk = chunks.pollFirst()) != null) {
      chunk.release();
    }
    readable = 0;
  }
}
