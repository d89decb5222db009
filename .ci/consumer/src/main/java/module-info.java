/** A program that uses bbipc as a library, only through its exported API. */
module io.bbipc.consumer {
  requires io.bbipc;
}
