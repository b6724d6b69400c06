package io.agentbus.spring;

import io.agentbus.Backoff;
import io.agentbus.BusOptions;
import io.agentbus.ConnectionOptions;
import io.agentbus.ConsumerOptions;
import io.agentbus.DeliveryOptions;
import io.agentbus.Durability;
import io.agentbus.Retention;
import io.agentbus.SendOptions;
import io.agentbus.TlsOptions;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.PropertyMapper;

/**
 * The {@code agentbus.*} properties of the {@link io.agentbus.AgentBus} bean. Each maps onto one setting of
 * {@link BusOptions}; a property left unset keeps that setting's {@code DEFAULT_*} constant, so the defaults live
 * in agentbus-core only (the configuration metadata repeats them for IDEs, checked by a test).
 */
@ConfigurationProperties("agentbus")
public class AgentBusProperties {

    /**
     * The Redis to connect to, in any form AgentBus.connect accepts: redis://[user:password@]host[:port][/db],
     * rediss:// for TLS, redis-sentinel://[password@]h1:p1[,h2:p2...][/db]#master, or
     * redis-cluster://[user:password@]h1:p1[,h2:p2...]. Required unless agentbus.embedded is true.
     */
    private String redisUri;

    /**
     * Start a private redis-server (agentbus-embedded must be on the classpath) instead of connecting to
     * agentbus.redis-uri. Its data goes with the application: for trials and demos only.
     */
    private boolean embedded;

    /**
     * A file whose first line is the Redis password, read again at every connect and reconnect; it replaces the
     * password of the URI (the user stays the URI's).
     */
    private Path passwordFile;

    /** Records each audit shard keeps; 0 turns the audit trail of sends and outcomes off. */
    private Long auditCap;

    private final Connection connection = new Connection();
    private final Tls tls = new Tls();
    private final Send send = new Send();
    private final Delivery delivery = new Delivery();
    private final Consumer consumer = new Consumer();

    public String getRedisUri() {
        return redisUri;
    }

    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }

    public boolean isEmbedded() {
        return embedded;
    }

    public void setEmbedded(boolean embedded) {
        this.embedded = embedded;
    }

    public Path getPasswordFile() {
        return passwordFile;
    }

    public void setPasswordFile(Path passwordFile) {
        this.passwordFile = passwordFile;
    }

    public Long getAuditCap() {
        return auditCap;
    }

    public void setAuditCap(Long auditCap) {
        this.auditCap = auditCap;
    }

    public Connection getConnection() {
        return connection;
    }

    public Tls getTls() {
        return tls;
    }

    public Send getSend() {
        return send;
    }

    public Delivery getDelivery() {
        return delivery;
    }

    public Consumer getConsumer() {
        return consumer;
    }

    /**
     * The options these properties describe, over {@link BusOptions#defaults()}.
     *
     * @throws IllegalArgumentException naming the core setting, if a value is out of its range
     */
    public BusOptions.Builder toBusOptions() {
        PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
        BusOptions.Builder options = BusOptions.builder()
                .connection(connection.toOptions(passwordFile, tls))
                .send(send.toOptions())
                .delivery(delivery.toOptions())
                .consumer(consumer.toOptions());
        map.from(auditCap).to(options::auditCap);
        return options;
    }

    /** How the bus connects to Redis and behaves while Redis is slow or away (ConnectionOptions). */
    public static class Connection {
        /** How long connecting to Redis may take. */
        private Duration connectTimeout;
        /** How long start-up keeps trying while Redis is unreachable; 0 fails at once. */
        private Duration connectWait;
        /** How long one Redis command may take. */
        private Duration commandTimeout;
        /** Reconnect backoff: full jitter, the ceiling doubling from this. */
        private Duration reconnectMinDelay;
        /** Cap of the reconnect backoff. */
        private Duration reconnectMaxDelay;
        /** What a send does while Redis is unreachable: fail at once, or buffer (bounded) until it is back. */
        private ConnectionOptions.DisconnectedSends disconnectedSends;
        /** Sends that may wait for Redis at once before a new one fails at once. */
        private Integer requestQueueSize;
        /** Run even on a server whose maxmemory-policy may evict keys without a TTL (whole inboxes). */
        private Boolean allowEvictingMemoryPolicy;

        ConnectionOptions toOptions(Path passwordFile, Tls tls) {
            PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
            ConnectionOptions.Builder options = ConnectionOptions.builder();
            map.from(connectTimeout).to(options::connectTimeout);
            map.from(connectWait).to(options::connectWait);
            map.from(commandTimeout).to(options::commandTimeout);
            if (reconnectMinDelay != null || reconnectMaxDelay != null) {
                options.reconnectDelay(
                        reconnectMinDelay != null ? reconnectMinDelay : ConnectionOptions.DEFAULT_RECONNECT_MIN_DELAY,
                        reconnectMaxDelay != null ? reconnectMaxDelay : ConnectionOptions.DEFAULT_RECONNECT_MAX_DELAY);
            }
            map.from(disconnectedSends).to(options::disconnectedSends);
            map.from(requestQueueSize).to(options::requestQueueSize);
            map.from(allowEvictingMemoryPolicy).to(options::allowEvictingMemoryPolicy);
            map.from(passwordFile).to(options::passwordFile);
            if (tls.isSet()) {
                options.tls(tls.toOptions());
            }
            return options.build();
        }

        public Duration getConnectTimeout() {
            return connectTimeout;
        }

        public void setConnectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
        }

        public Duration getConnectWait() {
            return connectWait;
        }

        public void setConnectWait(Duration connectWait) {
            this.connectWait = connectWait;
        }

        public Duration getCommandTimeout() {
            return commandTimeout;
        }

        public void setCommandTimeout(Duration commandTimeout) {
            this.commandTimeout = commandTimeout;
        }

        public Duration getReconnectMinDelay() {
            return reconnectMinDelay;
        }

        public void setReconnectMinDelay(Duration reconnectMinDelay) {
            this.reconnectMinDelay = reconnectMinDelay;
        }

        public Duration getReconnectMaxDelay() {
            return reconnectMaxDelay;
        }

        public void setReconnectMaxDelay(Duration reconnectMaxDelay) {
            this.reconnectMaxDelay = reconnectMaxDelay;
        }

        public ConnectionOptions.DisconnectedSends getDisconnectedSends() {
            return disconnectedSends;
        }

        public void setDisconnectedSends(ConnectionOptions.DisconnectedSends disconnectedSends) {
            this.disconnectedSends = disconnectedSends;
        }

        public Integer getRequestQueueSize() {
            return requestQueueSize;
        }

        public void setRequestQueueSize(Integer requestQueueSize) {
            this.requestQueueSize = requestQueueSize;
        }

        public Boolean getAllowEvictingMemoryPolicy() {
            return allowEvictingMemoryPolicy;
        }

        public void setAllowEvictingMemoryPolicy(Boolean allowEvictingMemoryPolicy) {
            this.allowEvictingMemoryPolicy = allowEvictingMemoryPolicy;
        }
    }

    /**
     * How the bus trusts a rediss:// server and which certificate it shows (TlsOptions). Setting any of these for
     * a plaintext redis:// URI is refused at start-up: the bus never falls back to plaintext.
     */
    public static class Tls {
        /** PEM bundle of the CA certificates trusted to sign the server's certificate; default the JVM's. */
        private Path caFile;
        /** PKCS#12 or JKS trust store, instead of ca-file. */
        private Path trustStore;
        /** Password of trust-store, if it has one. */
        private String trustStorePassword;
        /** PEM certificate chain the bus shows for mutual TLS; needs key-file. */
        private Path certFile;
        /** PEM (PKCS#8) private key of cert-file. */
        private Path keyFile;
        /** PKCS#12 key store with the client key and certificate, instead of cert-file and key-file. */
        private Path keyStore;
        /** Password of key-store, or of an encrypted key-file. */
        private String keyPassword;
        /** How the server's certificate is checked: FULL (CA and host name), CA (CA only) or NONE. */
        private TlsOptions.PeerVerification verifyPeer;
        /** The name sent as SNI and accepted in the server's certificate instead of the URI's host. */
        private String serverName;

        boolean isSet() {
            return caFile != null
                    || trustStore != null
                    || certFile != null
                    || keyFile != null
                    || keyStore != null
                    || keyPassword != null
                    || verifyPeer != null
                    || serverName != null;
        }

        TlsOptions toOptions() {
            PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
            TlsOptions.Builder options = TlsOptions.builder();
            map.from(caFile).to(options::caFile);
            map.from(trustStore).to(store -> options.trustStore(store, trustStorePassword));
            if ((certFile == null) != (keyFile == null)) {
                throw new IllegalArgumentException(
                        "agentbus.tls.cert-file and agentbus.tls.key-file go together, but only one is set");
            }
            if (certFile != null) {
                options.clientCertificate(certFile, keyFile);
            }
            map.from(keyStore).to(options::keyStore);
            map.from(keyPassword).to(options::keyPassword);
            map.from(verifyPeer).to(options::verifyPeer);
            map.from(serverName).to(options::serverName);
            return options.build();
        }

        public Path getCaFile() {
            return caFile;
        }

        public void setCaFile(Path caFile) {
            this.caFile = caFile;
        }

        public Path getTrustStore() {
            return trustStore;
        }

        public void setTrustStore(Path trustStore) {
            this.trustStore = trustStore;
        }

        public String getTrustStorePassword() {
            return trustStorePassword;
        }

        public void setTrustStorePassword(String trustStorePassword) {
            this.trustStorePassword = trustStorePassword;
        }

        public Path getCertFile() {
            return certFile;
        }

        public void setCertFile(Path certFile) {
            this.certFile = certFile;
        }

        public Path getKeyFile() {
            return keyFile;
        }

        public void setKeyFile(Path keyFile) {
            this.keyFile = keyFile;
        }

        public Path getKeyStore() {
            return keyStore;
        }

        public void setKeyStore(Path keyStore) {
            this.keyStore = keyStore;
        }

        public String getKeyPassword() {
            return keyPassword;
        }

        public void setKeyPassword(String keyPassword) {
            this.keyPassword = keyPassword;
        }

        public TlsOptions.PeerVerification getVerifyPeer() {
            return verifyPeer;
        }

        public void setVerifyPeer(TlsOptions.PeerVerification verifyPeer) {
            this.verifyPeer = verifyPeer;
        }

        public String getServerName() {
            return serverName;
        }

        public void setServerName(String serverName) {
            this.serverName = serverName;
        }
    }

    /** What a send accepts and promises (SendOptions). */
    public static class Send {
        /**
         * What a returned send survives: memory, aof-everysec, aof-always or wait:N (N replicas confirm each
         * send). Checked against the server at start-up.
         */
        private String durability;
        /** Refuse to start, instead of warning, when the server cannot honour the durability. */
        private Boolean strictDurability;
        /** Largest payload a send accepts, in UTF-8 bytes. */
        private Integer maxPayloadBytes;
        /** A resend of a message id within this window stores nothing new. */
        private Duration dedupWindow;
        /** Entries an inbox may hold before a send to it fails with InboxFullException; 0 for no cap. */
        private Long maxInboxLength;
        /** Fail a send to an agent without a live instance at once, instead of queueing it. */
        private Boolean requireLiveRecipient;

        SendOptions toOptions() {
            PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
            SendOptions.Builder options = SendOptions.builder();
            map.from(durability).as(Durability::parse).to(options::durability);
            map.from(strictDurability).to(options::strictDurability);
            map.from(maxPayloadBytes).to(options::maxPayloadBytes);
            map.from(dedupWindow).to(options::dedupWindow);
            map.from(maxInboxLength).to(options::maxInboxLength);
            map.from(requireLiveRecipient).to(options::requireLiveRecipient);
            return options.build();
        }

        public String getDurability() {
            return durability;
        }

        public void setDurability(String durability) {
            this.durability = durability;
        }

        public Boolean getStrictDurability() {
            return strictDurability;
        }

        public void setStrictDurability(Boolean strictDurability) {
            this.strictDurability = strictDurability;
        }

        public Integer getMaxPayloadBytes() {
            return maxPayloadBytes;
        }

        public void setMaxPayloadBytes(Integer maxPayloadBytes) {
            this.maxPayloadBytes = maxPayloadBytes;
        }

        public Duration getDedupWindow() {
            return dedupWindow;
        }

        public void setDedupWindow(Duration dedupWindow) {
            this.dedupWindow = dedupWindow;
        }

        public Long getMaxInboxLength() {
            return maxInboxLength;
        }

        public void setMaxInboxLength(Long maxInboxLength) {
            this.maxInboxLength = maxInboxLength;
        }

        public Boolean getRequireLiveRecipient() {
            return requireLiveRecipient;
        }

        public void setRequireLiveRecipient(Boolean requireLiveRecipient) {
            this.requireLiveRecipient = requireLiveRecipient;
        }
    }

    /** How the messages of the @AgentListener agents are delivered (DeliveryOptions). */
    public static class Delivery {
        /**
         * A message pending this long without its lease being extended is reclaimed by a running instance and
         * delivered again; at least 100ms.
         */
        private Duration visibilityTimeout;
        /** Deliveries of one message before it moves to dead letters. */
        private Integer maxAttempts;
        /** How long the runtime keeps extending the lease of a message a live handler still holds. */
        private Duration maxLeaseExtension;
        /** What happens to a message whose expires_at passed before it was handled. */
        private DeliveryOptions.OnExpiry onExpiry;

        private final BackoffProperties backoff = new BackoffProperties();

        DeliveryOptions toOptions() {
            PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
            DeliveryOptions.Builder options = DeliveryOptions.builder();
            map.from(visibilityTimeout).to(options::visibilityTimeout);
            map.from(maxAttempts).to(options::maxAttempts);
            map.from(maxLeaseExtension).to(options::maxLeaseExtension);
            map.from(onExpiry).to(options::onExpiry);
            if (backoff.isSet()) {
                options.backoff(backoff.toBackoff());
            }
            return options.build();
        }

        public Duration getVisibilityTimeout() {
            return visibilityTimeout;
        }

        public void setVisibilityTimeout(Duration visibilityTimeout) {
            this.visibilityTimeout = visibilityTimeout;
        }

        public Integer getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getMaxLeaseExtension() {
            return maxLeaseExtension;
        }

        public void setMaxLeaseExtension(Duration maxLeaseExtension) {
            this.maxLeaseExtension = maxLeaseExtension;
        }

        public DeliveryOptions.OnExpiry getOnExpiry() {
            return onExpiry;
        }

        public void setOnExpiry(DeliveryOptions.OnExpiry onExpiry) {
            this.onExpiry = onExpiry;
        }

        public BackoffProperties getBackoff() {
            return backoff;
        }
    }

    /** Delay before a failed message is delivered again (Backoff), with full jitter. */
    public static class BackoffProperties {
        /** Delay after the first failure. */
        private Duration initial;
        /** Cap of the delay. */
        private Duration max;
        /** Double the delay after each failure, up to max; false: always initial. */
        private Boolean exponential;

        boolean isSet() {
            return initial != null || max != null || exponential != null;
        }

        Backoff toBackoff() {
            Backoff defaults = DeliveryOptions.DEFAULT_BACKOFF;
            return new Backoff(
                    initial != null ? initial : defaults.initial(),
                    max != null ? max : defaults.max(),
                    exponential != null ? exponential : defaults.exponential());
        }

        public Duration getInitial() {
            return initial;
        }

        public void setInitial(Duration initial) {
            this.initial = initial;
        }

        public Duration getMax() {
            return max;
        }

        public void setMax(Duration max) {
            this.max = max;
        }

        public Boolean getExponential() {
            return exponential;
        }

        public void setExponential(Boolean exponential) {
            this.exponential = exponential;
        }
    }

    /** How this application reads and handles messages (ConsumerOptions). */
    public static class Consumer {
        /** Threads that run handlers, shared by every agent of the application. */
        private Integer handlerThreads;
        /** Messages one instance may hold read but not yet handled. */
        private Integer prefetch;
        /** Entries one read asks Redis for. */
        private Integer readBatchSize;
        /**
         * How long closing lets running handlers finish (and acknowledges what finished); what is left stays
         * pending in Redis for another instance to reclaim.
         */
        private Duration shutdownTimeout;

        private final RetentionProperties inboxRetention = new RetentionProperties();

        ConsumerOptions toOptions() {
            PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
            ConsumerOptions.Builder options = ConsumerOptions.builder();
            map.from(handlerThreads).to(options::handlerThreads);
            map.from(prefetch).to(options::prefetch);
            map.from(readBatchSize).to(options::readBatchSize);
            map.from(shutdownTimeout).to(options::shutdownTimeout);
            if (inboxRetention.isSet()) {
                options.inboxRetention(inboxRetention.over(ConsumerOptions.DEFAULT_INBOX_RETENTION));
            }
            return options.build();
        }

        public Integer getHandlerThreads() {
            return handlerThreads;
        }

        public void setHandlerThreads(Integer handlerThreads) {
            this.handlerThreads = handlerThreads;
        }

        public Integer getPrefetch() {
            return prefetch;
        }

        public void setPrefetch(Integer prefetch) {
            this.prefetch = prefetch;
        }

        public Integer getReadBatchSize() {
            return readBatchSize;
        }

        public void setReadBatchSize(Integer readBatchSize) {
            this.readBatchSize = readBatchSize;
        }

        public Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }

        public RetentionProperties getInboxRetention() {
            return inboxRetention;
        }
    }

    /**
     * How many handled entries an inbox keeps (Retention): never one that is still unread or pending. A part left
     * unset keeps its default.
     */
    public static class RetentionProperties {
        /** The most entries kept; 0 for no limit by length. */
        private Long maxLength;
        /** The oldest entry kept; 0 for no limit by age. */
        private Duration maxAge;

        boolean isSet() {
            return maxLength != null || maxAge != null;
        }

        Retention over(Retention defaults) {
            return new Retention(
                    maxLength != null ? maxLength : defaults.maxLength(), maxAge != null ? maxAge : defaults.maxAge());
        }

        public Long getMaxLength() {
            return maxLength;
        }

        public void setMaxLength(Long maxLength) {
            this.maxLength = maxLength;
        }

        public Duration getMaxAge() {
            return maxAge;
        }

        public void setMaxAge(Duration maxAge) {
            this.maxAge = maxAge;
        }
    }
}
