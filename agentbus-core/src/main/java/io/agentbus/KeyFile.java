package io.agentbus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key file ({@link SigningKeys#fromFile}): parsed at once, and parsed again on use when its modification
 * time or size changed, looked at no more often than every {@code checkNanos}. A rewrite that does not
 * parse (caught half-written, or broken) keeps the keys read before, with a warning.
 */
final class KeyFile implements SigningKeys {

    static final long DEFAULT_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final Logger log = LoggerFactory.getLogger(KeyFile.class);

    private final Path path;
    private final long checkNanos;
    private volatile State state;

    /** The keys and the file attributes they were read with. */
    private record State(KeyRing keys, long modified, long size, long checkedAt) {}

    KeyFile(Path path, long checkNanos) {
        this.path = path;
        this.checkNanos = checkNanos;
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            this.state = new State(
                    KeyRing.parse(Files.readString(path), "key file " + path),
                    attributes.lastModifiedTime().toMillis(),
                    attributes.size(),
                    System.nanoTime());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key file " + path + ": " + e);
        }
    }

    @Override
    public Optional<SigningKey> signingKey(AgentId agent) {
        return current().signingKey(agent);
    }

    @Override
    public Optional<byte[]> key(AgentId agent, String kid) {
        return current().key(agent, kid);
    }

    @Override
    public Optional<AgentId> ownerOf(String kid) {
        return current().ownerOf(kid);
    }

    @Override
    public String toString() {
        return "SigningKeys[file " + path + "]";
    }

    private KeyRing current() {
        State seen = state;
        long now = System.nanoTime();
        if (now - seen.checkedAt() < checkNanos) {
            return seen.keys();
        }
        synchronized (this) {
            seen = state;
            if (now - seen.checkedAt() < checkNanos) {
                return seen.keys();
            }
            KeyRing keys = seen.keys();
            long modified = seen.modified();
            long size = seen.size();
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                if (attributes.lastModifiedTime().toMillis() != modified || attributes.size() != size) {
                    keys = KeyRing.parse(Files.readString(path), "key file " + path);
                    modified = attributes.lastModifiedTime().toMillis();
                    size = attributes.size();
                    log.info("signing keys read again from {}: {}", path, keys);
                }
            } catch (IOException | IllegalArgumentException e) {
                log.warn(
                        "key file {} changed but cannot be used; keeping the keys read before: {}",
                        path,
                        e.getMessage());
            }
            state = new State(keys, modified, size, now);
            return keys;
        }
    }
}
