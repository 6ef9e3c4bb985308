# SPDX-License-Identifier: MIT
"""m-gpux dev up|list|ssh|code|pause|resume|sync|down: dev boxes on Modal Sandboxes. The driver
script runs under the stand-in `modal` (runtime/ on PYTHONPATH), which logs each sandbox call to a
file; ssh, code and rsync are stubs on PATH that record their argv."""
import getpass
import json
import os
import socket
import stat
import subprocess
import time
from pathlib import Path
from unittest import mock

from harness import RUNTIME_DIR, MgpuxTestCase, main

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBoxHostKeyForTheTestsOnly0000000000000000 root@box"

STUB = """#!/usr/bin/python3
import json, os, sys
with open(os.environ["STUB_LOG"], "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
"""


class DevBoxCase(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.project = self.tmp / "proj"
        (self.project / "node_modules").mkdir(parents=True)
        (self.project / "main.py").write_text("print('hi')\n", encoding="utf-8")
        self.sandbox_log = self.tmp / "sandbox.jsonl"
        root = self.tmp / "sandbox-root" / "etc" / "ssh"
        root.mkdir(parents=True)
        (root / "ssh_host_ed25519_key.pub").write_text(HOST_KEY + "\n", encoding="utf-8")
        self.stubs = self.tmp / "stubs"
        self.stubs.mkdir()
        self.stub_log = self.tmp / "stubs.jsonl"
        self.env.update({
            "PYTHONPATH": str(RUNTIME_DIR),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MGPUX_STANDIN_SANDBOX_LOG": str(self.sandbox_log),
            "MGPUX_STANDIN_SANDBOX_ROOT": str(self.tmp / "sandbox-root"),
            "MGPUX_STANDIN_TUNNEL": "r9.modal.host:41022",
            "STUB_LOG": str(self.stub_log),
        })

    def dev(self, *args, **kw):
        kw.setdefault("cwd", self.project)
        return self.run_mgpux(*args, **kw)

    def add_stub(self, name):
        path = self.stubs / name
        path.write_text(STUB, encoding="utf-8")
        path.chmod(0o755)
        self.env["PATH"] = f"{self.stubs}:{self.env['PATH']}"

    def stub_calls(self):
        if not self.stub_log.exists():
            return []
        return [json.loads(line) for line in self.stub_log.read_text(encoding="utf-8").splitlines()]

    def sandbox_calls(self, op=None):
        if not self.sandbox_log.exists():
            return []
        calls = [json.loads(line) for line in self.sandbox_log.read_text(encoding="utf-8").splitlines()]
        return [c for c in calls if op is None or c["op"] == op]

    def boxes(self):
        path = self.state_dir / "dev.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def sessions(self):
        path = self.state_dir / "sessions.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def ssh_config(self):
        path = self.home / ".ssh" / "config"
        return path.read_bytes() if path.exists() else None

    def up(self, *extra):
        return self.dev("--yes", "--json", "--profile", "work", "dev", "up", "--name", "gpu", "--cpu", "2", *extra)


class DevBoxLifecycle(DevBoxCase):
    def test_up_list_pause_resume_down(self):
        before = time.time()
        r = self.up("--hours", "3")
        self.assertExit(r, 0)
        (create,) = self.sandbox_calls("create")
        self.assertEqual((create["app"], create["timeout"], create["unencrypted_ports"], create["cpu"]),
                         ("m-gpux-dev-gpu", 3 * 3600, [22], 2))
        self.assertEqual(create["modal_profile"], "work")
        (volume,) = create["volumes"].values()
        self.assertEqual(list(create["volumes"]), ["/workspace"])
        self.assertTrue(volume.startswith("m-gpux-workspace-proj-"), volume)
        (secret,) = create["secrets"]
        self.assertEqual((secret["kind"], secret["keys"]), ("from_local_environ", ["MGPUX_SSH_AUTHORIZED_KEY"]))
        self.assertEqual(create["image_base"]["type"], "debian_slim")

        key = self.state_dir / "ssh" / "id_ed25519"
        self.assertEqual(stat.S_IMODE(key.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(key.parent.stat().st_mode), 0o700)
        public = (self.state_dir / "ssh" / "id_ed25519.pub").read_text(encoding="utf-8").split()[1]
        self.assertNotIn(public, self.sandbox_log.read_text(encoding="utf-8"))

        config = self.ssh_config().decode()
        self.assertTrue(config.startswith("# >>> m-gpux dev: gpu\nHost m-gpux-gpu\n"), config)
        self.assertIn("    HostName r9.modal.host\n    Port 41022\n", config)
        self.assertIn(f'    IdentityFile "{key}"\n', config)
        self.assertEqual(stat.S_IMODE((self.home / ".ssh" / "config").stat().st_mode), 0o600)
        known = (self.state_dir / "ssh" / "known_hosts").read_text(encoding="utf-8")
        self.assertEqual(known, "m-gpux-gpu " + " ".join(HOST_KEY.split()[:2]) + "\n")

        box = self.boxes()["gpu"]
        self.assertEqual((box["state"], box["sandbox_id"], box["profile"], box["hours"]), ("running", "sb-1", "work", 3))
        self.assertAlmostEqual(box["expires_at"], before + 3 * 3600, delta=60)
        (session,) = self.sessions()
        self.assertEqual((session["kind"], session["app_name"], session["state"], session["id"]),
                         ("devbox", "m-gpux-dev-gpu", "running", box["session_id"]))
        self.assertEqual(r.json()["alias"], "m-gpux-gpu")

        r = self.dev("--json", "dev", "list")
        self.assertExit(r, 0)
        self.assertEqual([(b["name"], b["status"]) for b in r.json()], [("gpu", "running")])

        r = self.dev("--yes", "dev", "pause", "gpu", "--keep-days", "7")
        self.assertExit(r, 0)
        (snap,) = self.sandbox_calls("snapshot_filesystem")
        self.assertEqual((snap["id"], snap["ttl"]), ("sb-1", 7 * 86400))
        self.assertEqual([c["id"] for c in self.sandbox_calls("terminate")], ["sb-1"])
        self.assertIn({"id": "sb-1", "args": ["sync", "/workspace"]},
                      [{"id": c["id"], "args": c["args"]} for c in self.sandbox_calls("exec")])
        box = self.boxes()["gpu"]
        self.assertEqual((box["state"], box["snapshot_id"], box["sandbox_id"]), ("paused", snap["image"], None))
        self.assertEqual(self.sessions()[0]["state"], "stopped")
        r = self.dev("dev", "ssh", "gpu")
        self.assertExit(r, 1)
        self.assertIn("m-gpux dev resume gpu", r.err)

        self.env["MGPUX_STANDIN_TUNNEL"] = "r5.modal.host:42000"
        r = self.dev("--yes", "dev", "resume", "gpu", "--hours", "2")
        self.assertExit(r, 0)
        resumed = self.sandbox_calls("create")[-1]
        self.assertEqual(resumed["image_base"], {"type": "from_id", "image_id": snap["image"]})
        self.assertEqual((resumed["timeout"], resumed["modal_profile"]), (2 * 3600, "work"))
        config = self.ssh_config().decode()
        self.assertEqual(config.count("# >>> m-gpux dev: gpu\n"), 1)
        self.assertIn("    HostName r5.modal.host\n    Port 42000\n", config)
        box = self.boxes()["gpu"]
        self.assertEqual((box["state"], box["snapshot_id"]), ("running", None))
        (session,) = self.sessions()
        self.assertEqual(session["state"], "running")

        r = self.dev("--yes", "dev", "down", "gpu")
        self.assertExit(r, 0)
        self.assertEqual(self.sandbox_calls("terminate")[-1]["id"], box["sandbox_id"])
        self.assertEqual(self.ssh_config(), b"")
        self.assertEqual((self.state_dir / "ssh" / "known_hosts").read_text(encoding="utf-8"), "")
        self.assertEqual(self.boxes(), {})
        self.assertEqual(self.sessions()[0]["state"], "stopped")
        self.assertEqual(self.fake.calls_of("volume", "delete"), [])

    def test_existing_ssh_config_is_kept_byte_for_byte(self):
        original = (b"# mine\r\nInclude ~/.ssh/config.d/*\r\n\r\nHost work\r\n    User me\r\n"
                    b"# >>> m-gpux dev: gpu\r\nHost m-gpux-gpu\r\n    HostName old.host\r\n# <<< m-gpux dev: gpu\r\n"
                    b"Host last\r\n    Port 2222")
        expected_rest = original.replace(
            b"# >>> m-gpux dev: gpu\r\nHost m-gpux-gpu\r\n    HostName old.host\r\n# <<< m-gpux dev: gpu\r\n", b"")
        (self.home / ".ssh").mkdir(mode=0o700)
        (self.home / ".ssh" / "config").write_bytes(original)
        (self.home / ".ssh" / "config").chmod(0o644)
        self.assertExit(self.up(), 0)
        config = self.ssh_config()
        self.assertTrue(config.startswith(b"# >>> m-gpux dev: gpu\r\nHost m-gpux-gpu\r\n"), config)
        self.assertNotIn(b"old.host", config)
        block_end = config.index(b"# <<< m-gpux dev: gpu\r\n") + len(b"# <<< m-gpux dev: gpu\r\n")
        self.assertEqual(config[block_end:], expected_rest)
        self.assertEqual(stat.S_IMODE((self.home / ".ssh" / "config").stat().st_mode), 0o644)
        self.assertExit(self.dev("--yes", "dev", "down", "gpu", "--delete-volume"), 0)
        self.assertEqual(self.ssh_config(), expected_rest)
        (delete,) = self.fake.calls_of("volume", "delete")
        self.assertEqual(delete["env"].get("MODAL_PROFILE"), "work")

    def test_a_config_with_a_broken_block_is_refused_before_anything_starts(self):
        (self.home / ".ssh").mkdir(mode=0o700)
        broken = b"Host a\n# >>> m-gpux dev: gpu\nHost m-gpux-gpu\n"
        (self.home / ".ssh" / "config").write_bytes(broken)
        r = self.up()
        self.assertExit(r, 3)
        self.assertIn("# <<< m-gpux dev: gpu", r.err)
        self.assertEqual(self.ssh_config(), broken)
        self.assertEqual((self.sandbox_calls(), self.boxes()), ([], {}))

    def test_an_expired_box_is_reported_and_refused(self):
        self.assertExit(self.up(), 0)
        doc = self.boxes()
        doc["gpu"]["expires_at"] = time.time() - 5
        (self.state_dir / "dev.json").write_text(json.dumps(doc), encoding="utf-8")
        r = self.dev("--json", "dev", "list")
        self.assertEqual([(b["name"], b["status"]) for b in r.json()], [("gpu", "expired")])
        r = self.dev("dev", "list")
        self.assertIn("expired", r.out)
        for command in (["ssh", "gpu"], ["code", "gpu"], ["sync", "push", "gpu"], ["pause", "gpu"]):
            r = self.dev("dev", *command)
            self.assertExit(r, 1)
            self.assertIn("ran out of its hours", r.err)
            self.assertIn("m-gpux dev resume gpu", r.err)
        r = self.dev("--yes", "dev", "resume", "gpu")
        self.assertExit(r, 0)
        resumed = self.sandbox_calls("create")[-1]
        self.assertEqual(resumed["image_base"]["type"], "debian_slim")
        self.assertEqual(self.boxes()["gpu"]["state"], "running")

    def test_up_from_a_preset(self):
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY https://x.modal.host"]}])
        r = self.dev("--yes", "--profile", "work", "dev", "web", "--cpu", "4", "--python", "3.11", "--exclude", "data",
                     "--save-preset", "dev-cpu")
        self.assertExit(r, 0)
        r = self.dev("--yes", "--json", "dev", "up", "--name", "p1", "--preset", "dev-cpu")
        self.assertExit(r, 0)
        (create,) = self.sandbox_calls("create")
        self.assertEqual((create["cpu"], create["modal_profile"], create["app"]), (4, "work", "m-gpux-dev-p1"))
        box = self.boxes()["p1"]
        self.assertEqual((box["preset"], box["python_version"], box["compute"]), ("dev-cpu", "3.11", r.json()["compute"]))
        self.assertIn("**/data", box["exclude_patterns"])

    def test_resume_after_the_snapshot_expired_starts_fresh(self):
        self.assertExit(self.up(), 0)
        self.assertExit(self.dev("--yes", "dev", "pause", "gpu"), 0)
        doc = self.boxes()
        doc["gpu"]["snapshot_expires_at"] = time.time() - 5
        (self.state_dir / "dev.json").write_text(json.dumps(doc), encoding="utf-8")
        r = self.dev("--yes", "dev", "resume", "gpu")
        self.assertExit(r, 0)
        self.assertIn("fresh image", r.err)
        self.assertEqual(self.sandbox_calls("create")[-1]["image_base"]["type"], "debian_slim")

    def test_concurrent_ups_keep_every_block_and_record(self):
        from concurrent.futures import ThreadPoolExecutor
        (self.home / ".ssh").mkdir(mode=0o700)
        (self.home / ".ssh" / "config").write_bytes(b"Host mine\n    User me")
        names = [f"box{i}" for i in range(4)]
        with ThreadPoolExecutor(len(names)) as pool:
            results = list(pool.map(lambda n: self.dev("--yes", "--profile", "work", "dev", "up", "--name", n,
                                                       "--cpu", "2"), names))
        for r in results:
            self.assertExit(r, 0)
        config = self.ssh_config().decode()
        self.assertTrue(config.endswith("Host mine\n    User me"), config)
        for n in names:
            self.assertEqual(config.count(f"# >>> m-gpux dev: {n}\n"), 1)
        self.assertEqual(sorted(self.boxes()), names)
        self.assertEqual(len((self.state_dir / "ssh" / "known_hosts").read_text(encoding="utf-8").splitlines()), 4)

    def test_a_box_whose_session_was_stopped_is_reported_stopped(self):
        self.assertExit(self.up(), 0)
        sessions = self.sessions()
        sessions[0]["state"] = "stopped"  # what `m-gpux stop` does to the session of the app it ends
        (self.state_dir / "sessions.json").write_text(json.dumps(sessions), encoding="utf-8")
        r = self.dev("--json", "dev", "list")
        self.assertEqual([(b["name"], b["status"]) for b in r.json()], [("gpu", "stopped")])
        r = self.dev("dev", "ssh", "gpu")
        self.assertExit(r, 1)
        self.assertIn("m-gpux dev resume gpu", r.err)
        self.assertExit(self.dev("--yes", "dev", "resume", "gpu"), 0)
        self.assertEqual(self.sandbox_calls("create")[-1]["image_base"]["type"], "debian_slim")
        self.assertEqual(self.sessions()[0]["state"], "running")

    def test_up_from_a_published_image(self):
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        store = self.state_dir / "images.json"
        store.write_text(json.dumps({"dev-base": {"profiles": ["work"], "python": "3.11", "summary": "debian_slim",
                                                  "updated_at": "2026-12-01T10:00:00Z"}}), encoding="utf-8")
        store.chmod(0o600)
        r = self.up("--image", "missing")
        self.assertExit(r, 2)
        self.assertEqual(self.sandbox_calls(), [])
        self.assertExit(self.up("--image", "dev-base"), 0)
        (create,) = self.sandbox_calls("create")
        self.assertEqual(create["image_base"]["type"], "from_name")
        self.assertEqual(create["image_base"]["name"], "dev-base")
        box = self.boxes()["gpu"]
        self.assertEqual((box["base_image"], box["python_version"]), ("dev-base", "3.11"))

    def test_corrupt_dev_json_is_refused_and_left_alone(self):
        self.state_dir.mkdir()
        (self.state_dir / "dev.json").write_text("{not json", encoding="utf-8")
        for args in (["dev", "list"], ["--yes", "dev", "up", "--name", "gpu", "--cpu", "2"]):
            r = self.dev(*args)
            self.assertExit(r, 3)
            self.assertEqual((self.state_dir / "dev.json").read_text(encoding="utf-8"), "{not json")
        (self.state_dir / "dev.json").write_text("[1, 2]", encoding="utf-8")
        r = self.dev("dev", "list")
        self.assertExit(r, 3)
        self.assertEqual((self.state_dir / "dev.json").read_text(encoding="utf-8"), "[1, 2]")
        self.assertEqual(self.sandbox_calls(), [])

    def test_up_needs_yes_without_a_terminal_and_checks_hours(self):
        r = self.dev("--profile", "work", "dev", "up", "--name", "gpu", "--cpu", "2")
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)
        r = self.dev("--yes", "--profile", "work", "dev", "up", "--name", "gpu", "--cpu", "2", "--hours", "25")
        self.assertExit(r, 2)
        self.assertIn("--hours", r.err)
        r = self.dev("--yes", "--profile", "work", "dev", "up", "--name", "Bad_Name", "--cpu", "2")
        self.assertExit(r, 2)
        self.assertEqual(self.sandbox_calls(), [])
        self.assertFalse((self.state_dir / "ssh").exists())

    def test_lock_ip_limits_the_tunnel(self):
        self.env["MGPUX_PUBLIC_IP"] = "203.0.113.7"
        self.assertExit(self.up("--lock-ip"), 0)
        (create,) = self.sandbox_calls("create")
        self.assertEqual(create["inbound_cidr_allowlist"], ["203.0.113.7/32"])

    def test_no_ssh_box_has_no_port_key_or_config(self):
        self.assertExit(self.up("--no-ssh"), 0)
        (create,) = self.sandbox_calls("create")
        self.assertEqual((create["unencrypted_ports"], create["secrets"]), ([], []))
        self.assertIsNone(self.ssh_config())
        self.assertFalse((self.state_dir / "ssh" / "id_ed25519").exists())
        r = self.dev("dev", "ssh", "gpu")
        self.assertExit(r, 2)
        self.assertIn("dev shell gpu", r.err)
        r = self.dev("dev", "shell", "gpu")
        self.assertExit(r, 0)
        (shell,) = self.sandbox_calls("exec")
        self.assertEqual((shell["id"], shell["args"], shell["pty"]), ("sb-1", ["bash", "-l"], True))

    def test_missing_ssh_keygen_is_exit_4(self):
        self.env["PATH"] = str(Path(self.env["PATH"].split(":")[0]))  # the fake modal only
        r = self.up()
        self.assertExit(r, 4)
        self.assertIn("ssh-keygen", r.err)
        self.assertEqual(self.sandbox_calls(), [])


class DevBoxTools(DevBoxCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.up(), 0)

    def test_ssh_execs_the_alias_with_the_command(self):
        self.add_stub("ssh")
        r = self.dev("dev", "ssh", "gpu", "--", "nvidia-smi", "-L")
        self.assertExit(r, 0)
        self.assertEqual(self.stub_calls(), [["ssh", "m-gpux-gpu", "nvidia-smi", "-L"]])

    def test_code_opens_remote_ssh_or_prints_the_command(self):
        r = self.dev("dev", "code", "gpu")
        self.assertExit(r, 0)
        self.assertIn("code --remote ssh-remote+m-gpux-gpu /workspace", r.out)
        self.add_stub("code")
        self.assertExit(self.dev("dev", "code", "gpu"), 0)
        self.assertEqual(self.stub_calls(), [["code", "--remote", "ssh-remote+m-gpux-gpu", "/workspace"]])

    def test_sync_uses_rsync_over_the_alias_with_the_excludes(self):
        self.add_stub("rsync")
        self.assertExit(self.dev("dev", "sync", "push", "gpu"), 0)
        self.assertExit(self.dev("dev", "sync", "pull", "gpu", "--delete"), 0)
        push, pull = self.stub_calls()
        self.assertEqual(push[-2:], [f"{self.project}/", "m-gpux-gpu:/workspace/"])
        self.assertEqual(pull[-3:], ["--delete", "m-gpux-gpu:/workspace/", f"{self.project}/"])
        self.assertNotIn("--delete", push)
        self.assertIn("--exclude=node_modules", push)
        self.assertIn("--exclude=node_modules", pull)
        self.assertEqual(push[1:5], ["-az", "--human-readable", "-e", "ssh"])

    def test_boxes_are_sessions_and_a_second_up_is_refused(self):
        r = self.run_mgpux("--json", "sessions", "list")
        self.assertExit(r, 0)
        self.assertIn("m-gpux-dev-gpu", r.out)
        r = self.up()
        self.assertExit(r, 2)
        self.assertIn("dev resume gpu", r.err)


class DevBoxScript(DevBoxCase):
    def test_driver_script_under_the_stand_in(self):
        r = self.dev("--yes", "--dry-run", "--profile", "work", "dev", "up", "--name", "gpu", "--gpu", "L4",
                     "--hours", "5", "--exclude", "data")
        self.assertExit(r, 0)
        self.assertFalse((self.state_dir / "ssh").exists())
        self.assertIsNone(self.ssh_config())
        with mock.patch.dict(os.environ, {"MGPUX_SSH_AUTHORIZED_KEY": "ssh-ed25519 AAAA test"}):
            report = self.inspect_rendered(r.out)
        (image,) = [i for i in report["images"] if any(s["op"] == "add_local_dir" for s in i["steps"])]
        ops = [s["op"] for s in image["steps"]]
        self.assertEqual(ops, ["apt_install", "add_local_dir"])
        self.assertIn("openssh-server", image["steps"][0]["args"])
        self.assertEqual(image["steps"][1]["args"][1], "/workspace_seed")
        self.assertIn("**/data", image["steps"][1]["kwargs"]["ignore"])
        (volume,) = report["volumes"]
        self.assertTrue(volume["name"].startswith("m-gpux-workspace-proj-"))
        (secret,) = report["secrets"]
        self.assertEqual(secret["keys"], ["MGPUX_SSH_AUTHORIZED_KEY"])
        self.assertIn("TIMEOUT_S = 18000", r.out)
        self.assertIn('GPU = "L4"', r.out)
        self.assertEqual(self.sandbox_calls(), [])


class DevBoxPrice(DevBoxCase):
    def test_up_shows_the_price_and_the_most_its_hours_can_cost(self):
        r = self.dev("--yes", "--dry-run", "--profile", "work", "dev", "up", "--name", "gpu", "--gpu", "H100:2",
                     "--hours", "5")
        self.assertExit(r, 0)
        self.assertIn("~$7.90/h", r.err)
        self.assertIn("5 h × ~$7.90/h ≈ $39.50 at most", r.err)
        # A CPU box is a sandbox: Modal's sandbox rates per core-hour and GiB-hour.
        r = self.up("--hours", "2")
        self.assertExit(r, 0)
        self.assertIn("~$0.31/h", r.err)  # 2 × $0.1419 + 1 GiB × $0.024
        self.assertIn("2 h × ~$0.31/h ≈ $0.62 at most", r.err)


class DevBoxBudget(DevBoxCase):
    """dev up starts a sandbox without the runner: it checks the profile's budget itself."""

    def test_up_on_a_profile_over_its_budget_is_refused(self):
        self.over_budget('{"work": 30}')
        r = self.up()
        self.assertExit(r, 1)
        self.assertIn("over its budget", r.err)
        self.assertIn("$31.00 used of its $30.00 budget", r.err)
        self.assertIn("--ignore-budget", r.err)
        self.assertEqual(self.sandbox_calls(), [])
        self.assertEqual(self.boxes(), {})
        r = self.up("--ignore-budget")
        self.assertExit(r, 0)
        self.assertIn("launching anyway", r.err)
        self.assertEqual(len(self.sandbox_calls("create")), 1)

    def test_without_a_budget_no_billing_call_is_made(self):
        self.assertExit(self.up(), 0)
        self.assertEqual(self.fake.calls_of("billing"), [])


class DevBoxRealSshd(DevBoxCase):
    """A real sshd (Debian's openssh-server), started by the test on a loopback port with its own
    host key and config, stands in for the box: the key m-gpux generated and the block it wrote
    into ~/.ssh/config must get `ssh m-gpux-gpu true` through, with the host key pinned."""

    def setUp(self):
        super().setUp()
        self.sshd_dir = self.tmp / "sshd"
        self.sshd_dir.mkdir(mode=0o700)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.sshd_dir / "host_key")],
                       check=True)
        host_pub = (self.sshd_dir / "host_key.pub").read_text(encoding="utf-8")
        (self.tmp / "sandbox-root" / "etc" / "ssh" / "ssh_host_ed25519_key.pub").write_text(host_pub, encoding="utf-8")
        self.port = self.free_port()
        self.env["MGPUX_STANDIN_TUNNEL"] = f"127.0.0.1:{self.port}"
        self.sshd = None
        self.made_privsep_dir = False

    def tearDown(self):
        if self.sshd is not None:
            self.sshd.terminate()
            self.sshd.wait(timeout=10)
        if self.made_privsep_dir:
            os.rmdir("/run/sshd")
        super().tearDown()

    @staticmethod
    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def start_sshd(self, authorized_key):
        (self.sshd_dir / "authorized_keys").write_text(authorized_key, encoding="utf-8")
        (self.sshd_dir / "authorized_keys").chmod(0o600)
        config = self.sshd_dir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.sshd_dir / 'host_key'}",
            f"AuthorizedKeysFile {self.sshd_dir / 'authorized_keys'}", f"PidFile {self.sshd_dir / 'sshd.pid'}",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password", "UsePAM no", "StrictModes no", "AllowTcpForwarding no",
            "X11Forwarding no", "",
        ]), encoding="utf-8")
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755)  # sshd's privilege separation folder, when run as root
            self.made_privsep_dir = True
        self.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                self.assertIsNone(self.sshd.poll(), "sshd exited")
                time.sleep(0.1)
        self.fail("sshd did not start listening")

    def test_the_written_block_and_key_reach_sshd(self):
        self.assertExit(self.up(), 0)
        public_key = (self.state_dir / "ssh" / "id_ed25519.pub").read_text(encoding="utf-8")
        self.start_sshd(public_key)
        # ssh reads ~/.ssh/config from the passwd entry, not $HOME: name the file. -l because
        # this sshd, run as the test user, can only log that user in.
        ssh = ["ssh", "-F", str(self.home / ".ssh" / "config"), "-l", getpass.getuser(),
               "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
        env = {**self.env, "PATH": "/usr/bin:/bin"}
        r = subprocess.run([*ssh, "m-gpux-gpu", "true"], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The pinned host key is checked: a box presenting another key is refused.
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.sshd_dir / "other_key")],
                       check=True)
        other = (self.sshd_dir / "other_key.pub").read_text(encoding="utf-8").split()[:2]
        (self.state_dir / "ssh" / "known_hosts").write_text("m-gpux-gpu " + " ".join(other) + "\n", encoding="utf-8")
        r = subprocess.run([*ssh, "m-gpux-gpu", "true"], env=env, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Host key verification failed", r.stderr)


if __name__ == "__main__":
    main()
