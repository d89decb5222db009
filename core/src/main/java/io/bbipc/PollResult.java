package io.bbipc;

import java.util.Set;

/**
 * One ready socket reported by {@link Poller#waitForEvents}.
 *
 * @param socket the monitored socket
 * @param events the monitored events that held for it, never empty
 */
public record PollResult(IpcSocket socket, Set<SocketEvent> events) {}
