#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (corpus/TARGET/) from the real gateway
payloads in data/fixtures/payloads (topics from its SOURCES.tsv) and a few
native messages and CSV files as the docs show them. Run from anywhere; the
output is committed, so run it again only when the fixtures change."""
import csv
import json
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
FIXTURES = FUZZ.parent / "data" / "fixtures" / "payloads"
CORPUS = FUZZ / "corpus"

NATIVE = [
    b'{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5}',
    b'[{"sensor": "A-BLR-1-supply", "ts": 1706702400000, "value": 71.5},'
    b' {"sensor": "A-BLR-1-run", "ts": "2024-01-31T12:00:00+01:00", "value": 1}]',
    b'{"readings": [{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": 71.5},'
    b' {"sensor": "A-BLR-1-pressure", "ts": 1706702400000, "value": 1.62}]}',
    b'{"readings": [{"sensor": "A-BLR-1-supply", "ts": "2024-01-31T12:00:00Z", "value": "NaN"},'
    b' {"sensor": "nope", "ts": "yesterday", "value": 1e400}]}',
]

CSV = {
    "readings-store.csv": "sensor,ts,value\nA-BLR-1-supply,2024-01-31T12:00:00Z,71.5\n"
    "A-BLR-1-pressure,1706702400000,1.62\nA-BLR-1-run,2024-01-31,1\n",
    "readings-long.csv": "equipment,metric,timestamp,value\r\nA-TEST-1,supply_temperature,"
    "2024-01-31T12:00:00+01:00,70\r\n\"A-TEST-1\",\"pressure\",\"1706702400000\",\"1,5\"\r\n",
    "events.csv": "ts,equipment,kind,code,description,cost,unit\n"
    "2024-01-02,A-TEST-1,corrective_maintenance,E12,\"Pump seized, replaced\",450.5,A-101\n"
    "2023-06-01T08:00:00Z,A-TEST-1,inspection,,,,\n",
    "bad.csv": "sensor,ts,value\n\"A-BLR-1-supply,2024-01-31,1\nx,y,z,extra\n\xef\xbb\xbf,,\n",
}


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def main():
    for i, payload in enumerate(NATIVE):
        write("decode_native", f"native-{i}", payload)
    with open(FIXTURES / "SOURCES.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            path = FIXTURES / row["file"]
            payload = path.read_bytes()
            topic = row["topic"].split(" ")[0] if row["topic"].startswith("application/") else row["topic"]
            name = path.stem
            if topic.startswith("application/"):
                eui = "0101010101010101"
                try:
                    found = json.loads(payload).get("deviceInfo", {}).get("devEui")
                    eui = found or eui
                except (ValueError, AttributeError):
                    pass
                topic = topic.replace("<devEUI>", eui)
                write("decode_chirpstack", name, topic.removeprefix("application/").encode() + b"\n" + payload)
            else:
                tail = re.sub(r"^[^/]+/", "", topic).replace("<friendly_name>", "sensor1")
                write("decode_zigbee2mqtt", name, tail.encode() + b"\n" + payload)
                # Zigbee payloads are JSON too: good seeds for the native decoder.
                write("decode_native", f"z2m-{name}", payload)
    for name, text in CSV.items():
        write("import_csv", name, text.encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()
