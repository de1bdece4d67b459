"""Publish every `TOPIC<tab>PAYLOAD` line of a file as one QoS 1 message and wait until
the broker acknowledged all.

Used by bench/ingest.sh to queue a stream in the broker (mosquitto_pub -l returns before
its QoS 1 messages are acknowledged and loses part of a large stream).
Usage: publish.py HOST PORT FILE
"""

import sys
import threading

import paho.mqtt.client as mqtt


def main() -> None:
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\n").split(b"\t", 1) for line in f if line.strip()]
    done = threading.Event()
    window = threading.Semaphore(1000)  # paho slows down badly with a long queue of its own
    acked = 0

    def on_publish(client, userdata, mid, reason_code, properties):
        nonlocal acked
        acked += 1
        window.release()
        if acked == len(lines):
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect(host, port)
    client.loop_start()
    for topic, payload in lines:
        window.acquire()
        client.publish(topic.decode(), payload, qos=1)
    if not done.wait(timeout=3600):
        sys.exit(f"only {acked} of {len(lines)} messages acknowledged")
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
