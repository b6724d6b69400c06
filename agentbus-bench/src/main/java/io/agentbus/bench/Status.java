package io.agentbus.bench;

/** What a system's run is doing now, for the progress display: a phase and a count towards a target. */
class Status {

    private volatile String phase = "starting";
    private volatile Sink sink;
    private volatile long from;
    private volatile long target;

    void phase(String phase) {
        this.phase = phase;
        this.sink = null;
    }

    void counting(String phase, Sink sink, long target) {
        this.phase = phase;
        this.from = sink.handled();
        this.target = target;
        this.sink = sink;
    }

    @Override
    public String toString() {
        Sink current = sink;
        if (current == null) {
            return phase;
        }
        return phase + " " + Math.min(target, current.handled() - from) + "/" + target;
    }
}
