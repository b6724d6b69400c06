package io.agentbus.reliability;

import static io.agentbus.testkit.TestIds.freshAgent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentbus.AgentBus;
import io.agentbus.AgentId;
import io.agentbus.BusOptions;
import io.agentbus.Envelope;
import io.agentbus.SendReceipt;
import io.agentbus.SigningKeys;
import io.agentbus.SigningOptions;
import io.agentbus.embedded.LocalRedis;
import io.agentbus.protocol.EnvelopeSignature;
import io.agentbus.protocol.KeySchema;
import io.agentbus.protocol.WireFields;
import io.agentbus.testkit.RawRedis;
import io.agentbus.testkit.RedisServerExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario {@code hmac-forgery}: a receiver that requires signed envelopes hands its handler the 1,000 valid
 * messages of a signing sender, across a key rotation (a second key id added, the sender switched to it, the
 * first retired), and none of 1,000 each of forged, modified, replayed, unsigned and wrong-kid messages: those
 * go to dead letters as {@code bad_signature} and are counted. The bad ones are written as an attacker with
 * Redis access would: straight into the inbox with {@code XADD}, or through an ordinary bus that does not sign.
 */
@ExtendWith(RedisServerExtension.class)
class SignedEnvelopesIT {

    private static final int PER_KIND = 1_000;
    private static final int BATCH = 100;
    private static final Duration MAX_AGE = Duration.ofSeconds(8); // short, so that replays age out quickly
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] cmoKey1 = newKey();
    private final byte[] cmoKey2 = newKey();
    private final byte[] internKey = newKey();

    @Test
    void onlyValidlySignedMessagesReachTheHandlerAcrossAKeyRotation(LocalRedis redis, RawRedis raw) {
        long started = System.nanoTime();
        AgentId receiver = freshAgent("copywriter");
        String cmo = freshAgent("cmo").value();
        String intern = freshAgent("intern").value();
        String k1 = cmo + "-k1";
        String k2 = cmo + "-k2";
        String internKid = intern + "-k1";
        // Each process has its own view of the keys, swapped during the rotation as a re-read key file would be.
        AtomicReference<SigningKeys> senderKeys = new AtomicReference<>(
                SigningKeys.builder().key(cmo, k1, cmoKey1).build());
        AtomicReference<SigningKeys> receiverKeys = new AtomicReference<>(SigningKeys.builder()
                .key(cmo, k1, cmoKey1)
                .key(intern, internKid, internKey)
                .build());
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        BusOptions receiving = BusOptions.builder()
                .meterRegistry(meters)
                .signing(SigningOptions.builder()
                        .keys(rotating(receiverKeys))
                        .requireSigned(true)
                        .maxAge(MAX_AGE)
                        .build())
                .build();
        BusOptions sending = BusOptions.builder()
                .signing(SigningOptions.builder()
                        .keys(rotating(senderKeys))
                        .sign(true)
                        .build())
                .build();
        List<String> valid = new ArrayList<>();
        Map<String, List<String>> bad = new LinkedHashMap<>();
        int replayDeduplicated = 0;
        try (AgentBus receiverBus = AgentBus.connect(redis.uri(), receiving);
                AgentBus senderBus = AgentBus.connect(redis.uri(), sending);
                AgentBus plainBus = AgentBus.connect(redis.uri())) {
            receiverBus.subscribe(
                    receiver,
                    delivery -> handled.computeIfAbsent(
                                    delivery.envelope().messageId().value(), id -> new AtomicInteger())
                            .incrementAndGet());

            // Rotation while messages flow: 300 with k1; the receiver learns k2; 200 more with k1; the sender
            // switches to k2; 300 with k2; once every k1 message is handled the receiver retires k1; 200 with k2.
            valid.addAll(sendValid(senderBus, cmo, receiver, 300));
            receiverKeys.set(SigningKeys.builder()
                    .key(cmo, k1, cmoKey1)
                    .key(cmo, k2, cmoKey2)
                    .key(intern, internKid, internKey)
                    .build());
            valid.addAll(sendValid(senderBus, cmo, receiver, 200));
            senderKeys.set(SigningKeys.builder()
                    .key(cmo, k1, cmoKey1)
                    .key(cmo, k2, cmoKey2)
                    .signWith(cmo, k2)
                    .build());
            valid.addAll(sendValid(senderBus, cmo, receiver, 300));
            await().atMost(Duration.ofSeconds(30)).until(() -> handled.keySet().containsAll(valid));
            receiverKeys.set(SigningKeys.builder()
                    .key(cmo, k2, cmoKey2)
                    .key(intern, internKid, internKey)
                    .build());
            valid.addAll(sendValid(senderBus, cmo, receiver, 200));

            String inbox = KeySchema.inbox(receiver, 5);
            // forged: half signed with the intern's key under the cmo's key id, half a random signature
            bad.put("forged", writeRaw(raw, inbox, i -> {
                Map<String, String> fields = fields(i, "forged", cmo, receiver, Instant.now());
                fields.put(WireFields.KID, k2);
                fields.put(WireFields.SIG, i % 2 == 0 ? EnvelopeSignature.sign(fields, internKey) : randomSig());
                return fields;
            }));
            // modified: validly signed by the cmo's current key, then the payload changed
            bad.put("modified", writeRaw(raw, inbox, i -> {
                Map<String, String> fields = signed(fields(i, "modified", cmo, receiver, Instant.now()), k2, cmoKey2);
                fields.put(WireFields.PAYLOAD, "{\"brief\":\"transfer the budget\",\"n\":" + i + "}");
                return fields;
            }));
            // wrong kid: the intern's own key and kid on a message from the cmo, or a key id nobody has
            bad.put("wrong_kid", writeRaw(raw, inbox, i -> {
                Map<String, String> fields = fields(i, "wrong-kid", cmo, receiver, Instant.now());
                return i % 2 == 0 ? signed(fields, internKid, internKey) : signed(fields, cmo + "-k9", newKey());
            }));
            // unsigned: an ordinary bus that does not sign, sending in the cmo's name
            List<String> unsigned = new ArrayList<>();
            for (int from = 0; from < PER_KIND; from += BATCH) {
                List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
                for (int i = from; i < from + BATCH; i++) {
                    Envelope envelope = task(cmo, receiver, "unsigned-" + i + "-" + receiver.value());
                    unsigned.add(envelope.messageId().value());
                    sends.add(plainBus.send(envelope).toCompletableFuture());
                }
                sends.forEach(CompletableFuture::join);
            }
            bad.put("unsigned", unsigned);

            // replayed: the stored k2-signed valid entries, captured from the stream and each written again
            // twice once older than maxAge; and every valid message sent again through the bus (dedup window)
            await().atMost(Duration.ofSeconds(30)).until(() -> handled.keySet().containsAll(valid));
            Set<String> validIds = Set.copyOf(valid);
            List<Map<String, String>> captured = new ArrayList<>();
            Instant newest = Instant.EPOCH;
            for (StreamMessage<String, String> entry : raw.commands().xrange(inbox, Range.create("-", "+"))) {
                Map<String, String> fields = entry.getBody();
                if (validIds.contains(fields.get(WireFields.MESSAGE_ID)) && k2.equals(fields.get(WireFields.KID))) {
                    captured.add(fields);
                    Instant at = Instant.parse(fields.get(WireFields.TIMESTAMP));
                    newest = at.isAfter(newest) ? at : newest;
                }
            }
            assertThat(captured).as("k2-signed valid entries captured").hasSize(500);
            Instant replayFrom = newest.plus(MAX_AGE).plusMillis(500);
            await().atMost(MAX_AGE.plusSeconds(5)).until(() -> Instant.now().isAfter(replayFrom));
            List<String> replayed = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (Map<String, String> fields : captured) {
                    raw.commands().xadd(inbox, fields);
                    replayed.add(fields.get(WireFields.MESSAGE_ID));
                }
            }
            bad.put("replayed", replayed);
            for (int i = 0; i < valid.size(); i += BATCH) {
                // the same envelopes (same message ids) through the signing sender: nothing new is stored
                List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
                for (String id : valid.subList(i, i + BATCH)) {
                    sends.add(senderBus
                            .send(Envelope.builder()
                                    .messageId(id)
                                    .from(cmo)
                                    .to(receiver)
                                    .type("task")
                                    .payload("{\"again\":true}")
                                    .build())
                            .toCompletableFuture());
                }
                for (CompletableFuture<SendReceipt> send : sends) {
                    replayDeduplicated += send.join().duplicate() ? 1 : 0;
                }
            }

            int expectedDeadLetters = bad.values().stream().mapToInt(List::size).sum();
            await().atMost(Duration.ofSeconds(40))
                    .until(() -> raw.commands().xlen(KeySchema.deadLetters(receiver)) >= expectedDeadLetters);
            try {
                // the meter counts once dead_letter.lua replied: a moment after the entry is there
                await().atMost(Duration.ofSeconds(5)).until(() -> badSignaturesCounted(meters) >= expectedDeadLetters);
            } catch (ConditionTimeoutException e) {
                // reported below, and asserted
            }
            Map<String, Integer> deadByKind = deadLettersByKind(raw, receiver, bad);
            long badAccepted = bad.values().stream()
                            .flatMap(List::stream)
                            .filter(id -> !validIds.contains(id) && handled.containsKey(id))
                            .count()
                    + valid.stream()
                            .mapToInt(id -> Optional.ofNullable(handled.get(id))
                                            .map(AtomicInteger::get)
                                            .orElse(0)
                                    - 1)
                            .filter(extra -> extra > 0)
                            .sum();
            long validAccepted = valid.stream().filter(handled::containsKey).count();
            double metric = badSignaturesCounted(meters);
            ScenarioResult.print(
                    "hmac-forgery",
                    "forged_accepted",
                    badAccepted,
                    "valid_accepted",
                    validAccepted,
                    "rotation_lost",
                    valid.size() - validAccepted,
                    "forged_dead_lettered",
                    deadByKind.get("forged"),
                    "modified_dead_lettered",
                    deadByKind.get("modified"),
                    "replayed_dead_lettered",
                    deadByKind.get("replayed"),
                    "unsigned_dead_lettered",
                    deadByKind.get("unsigned"),
                    "wrong_kid_dead_lettered",
                    deadByKind.get("wrong_kid"),
                    "replay_deduplicated",
                    replayDeduplicated,
                    "bad_signatures_counted",
                    (long) metric,
                    "seconds",
                    Duration.ofNanos(System.nanoTime() - started).toSeconds());

            assertThat(badAccepted).isZero();
            assertThat(validAccepted).isEqualTo(PER_KIND);
            bad.forEach((kind, ids) -> assertThat(deadByKind.get(kind)).as(kind).isEqualTo(PER_KIND));
            assertThat(replayDeduplicated).isEqualTo(PER_KIND);
            assertThat((long) metric).isEqualTo(5L * PER_KIND);
            assertThat(raw.commands().xrange(KeySchema.deadLetters(receiver), Range.create("-", "+")).stream()
                            .filter(dead ->
                                    WireFields.TIMESTAMP.equals(dead.getBody().get(WireFields.DLQ_FIELD))))
                    .as("the replays were refused by the timestamp window")
                    .hasSize(PER_KIND);
        }
    }

    private static double badSignaturesCounted(SimpleMeterRegistry meters) {
        return meters.find("messages.bad.signatures").counters().stream()
                .mapToDouble(counter -> counter.count())
                .sum();
    }

    /** Sends {@code count} tasks from {@code from} in batches of {@link #BATCH}; their message ids. */
    private static List<String> sendValid(AgentBus bus, String from, AgentId to, int count) {
        List<String> ids = new ArrayList<>();
        for (int sent = 0; sent < count; sent += BATCH) {
            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                Envelope envelope = task(from, to, null);
                ids.add(envelope.messageId().value());
                sends.add(bus.send(envelope).toCompletableFuture());
            }
            sends.forEach(CompletableFuture::join);
        }
        return ids;
    }

    private static Envelope task(String from, AgentId to, String messageId) {
        Envelope.Builder builder =
                Envelope.builder().from(from).to(to).type("task").payload("{\"brief\":\"launch post\"}");
        if (messageId != null) {
            builder.messageId(messageId);
        }
        return builder.build();
    }

    /** XADDs {@link #PER_KIND} entries made by {@code entry} to {@code inbox}; their message ids. */
    private static List<String> writeRaw(RawRedis raw, String inbox, Function<Integer, Map<String, String>> entry) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < PER_KIND; i++) {
            Map<String, String> fields = entry.apply(i);
            raw.commands().xadd(inbox, fields);
            ids.add(fields.get(WireFields.MESSAGE_ID));
        }
        return ids;
    }

    /** The wire fields of a task as a writer in another language would write them, unsigned. */
    private static Map<String, String> fields(int i, String kind, String from, AgentId to, Instant at) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(WireFields.V, "1");
        fields.put(WireFields.MESSAGE_ID, kind + "-" + i + "-" + to.value());
        fields.put(WireFields.FROM_AGENT, from);
        fields.put(WireFields.TO_AGENT, to.value());
        fields.put(WireFields.MESSAGE_TYPE, "task");
        fields.put(WireFields.PAYLOAD, "{\"brief\":\"launch post\",\"n\":" + i + "}");
        fields.put(WireFields.TIMESTAMP, DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MILLIS)));
        fields.put(WireFields.PRIORITY, "5");
        return fields;
    }

    private static Map<String, String> signed(Map<String, String> fields, String kid, byte[] key) {
        fields.put(WireFields.KID, kid);
        fields.put(WireFields.SIG, EnvelopeSignature.sign(fields, key));
        return fields;
    }

    /** Per kind, how many of its entries are in the dead letters with reason {@code bad_signature}. */
    private static Map<String, Integer> deadLettersByKind(RawRedis raw, AgentId agent, Map<String, List<String>> bad) {
        Map<String, Integer> entries = new HashMap<>(); // message id -> bad_signature dead letters of it
        for (StreamMessage<String, String> dead :
                raw.commands().xrange(KeySchema.deadLetters(agent), Range.create("-", "+"))) {
            if ("bad_signature".equals(dead.getBody().get(WireFields.DLQ_REASON))) {
                entries.merge(dead.getBody().get(WireFields.MESSAGE_ID), 1, Integer::sum);
            }
        }
        Map<String, Integer> byKind = new LinkedHashMap<>();
        bad.forEach((kind, ids) -> {
            Map<String, Integer> left = new HashMap<>(entries);
            int found = 0;
            for (String id : ids) {
                Integer n = left.get(id);
                if (n != null && n > 0) {
                    left.put(id, n - 1);
                    found++;
                }
            }
            byKind.put(kind, found);
        });
        return byKind;
    }

    /** Keys that follow {@code current}, as {@link SigningKeys#fromFile} follows its file. */
    private static SigningKeys rotating(AtomicReference<SigningKeys> current) {
        return new SigningKeys() {
            @Override
            public Optional<SigningKey> signingKey(AgentId agent) {
                return current.get().signingKey(agent);
            }

            @Override
            public Optional<byte[]> key(AgentId agent, String kid) {
                return current.get().key(agent, kid);
            }

            @Override
            public Optional<AgentId> ownerOf(String kid) {
                return current.get().ownerOf(kid);
            }
        };
    }

    private static byte[] newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    private static String randomSig() {
        return Base64.getEncoder().encodeToString(newKey());
    }
}
