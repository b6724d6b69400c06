"""The reader's verdicts on protocol/vectors/entries.json, and the scripts' single source. No Redis."""

import json
import subprocess
import sys
import unittest

from redis_server import SRC

from agentbus.envelope import Envelope, format_timestamp, parse_timestamp
from agentbus.scripts import LUA_DIR, LuaScript, read_lua
from agentbus.vectors import VECTORS_FILE, expected_verdict, verdicts

REPOSITORY = SRC.parents[2]


class VectorsTest(unittest.TestCase):

    def test_every_vector_gets_the_expected_verdict(self):
        cases = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["cases"]

        got = list(verdicts())

        self.assertEqual(93, len(cases))
        for verdict, case in zip(got, cases):
            with self.subTest(case["name"]):
                self.assertEqual(expected_verdict(case), verdict)

    def test_driver_prints_one_verdict_per_case(self):
        run = subprocess.run([sys.executable, "-m", "agentbus", "vectors", str(VECTORS_FILE)], cwd=str(SRC),
                             capture_output=True, text=True, check=True)

        lines = [json.loads(line) for line in run.stdout.splitlines()]

        self.assertEqual(93, len(lines))
        self.assertEqual({"name": "payload-array", "verdict": "dead_lettered", "reason": "invalid_field",
                          "field": "payload"}, next(line for line in lines if line["name"] == "payload-array"))

    def test_timestamps_round_trip_as_the_java_writer_writes_them(self):
        for text in ("2025-11-03T10:30:00Z", "2025-11-03T10:30:00.120Z", "-0001-01-01T00:00:00Z", "+10000-01-01T00:00:00Z",
                     "1970-01-01T00:00:00Z", "2024-02-29T23:59:59.999Z"):
            with self.subTest(text):
                self.assertEqual(text, format_timestamp(parse_timestamp("timestamp", text)))

    def test_a_new_envelope_refuses_a_bad_field_naming_it(self):
        with self.assertRaises(ValueError) as refused:
            Envelope.create("cmo", "not an agent", "task", {})

        self.assertEqual("to_agent", refused.exception.field)


class ScriptSourceTest(unittest.TestCase):

    def test_scripts_are_read_from_the_repository_protocol_directory(self):
        self.assertEqual((REPOSITORY / "protocol" / "lua").resolve(), LUA_DIR.resolve())
        for path in sorted((REPOSITORY / "protocol" / "lua").glob("*.lua")):
            with self.subTest(path.name):
                self.assertEqual(path.read_bytes(), read_lua(path.name).encode("utf-8"))

    def test_a_script_runs_after_the_files_its_first_line_names(self):
        protocol, audit = read_lua("protocol.lua"), read_lua("audit_record.lua")

        self.assertEqual(protocol + audit + read_lua("ack.lua"), LuaScript("ack.lua").source)
        self.assertEqual(protocol + read_lua("store_messages.lua") + read_lua("send.lua"),
                         LuaScript("send.lua").source)
        self.assertEqual(protocol + read_lua("trim.lua"), LuaScript("trim.lua").source)


if __name__ == "__main__":
    unittest.main()
