# SPDX-License-Identifier: MIT
"""m-gpux compose: `check --json` on the example stacks against expected pictures, rendered
`up` / `vm up` scripts under the modal stand-in, a real detached launch recorded as a session,
`sync` through the fake modal, and errors that name the file, line and key."""
import json
import os
import shutil

import subprocess
import sys

from harness import FAKES_DIR, RUNTIME_DIR, SOURCE_DIR, MgpuxTestCase, main, module_literals

EXAMPLES = SOURCE_DIR / "examples" / "compose"
EXPECTED = SOURCE_DIR / "tests" / "e2e" / "data" / "compose"
STACKS = ["web-postgres-redis", "api-worker-broker", "gpu-inference", "nginx-frontend"]
READY_URL = "https://compose-01abc.modal.host"


class ComposeTest(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()

    def stack(self, name):
        """A copy of an example stack in the test's temp dir (the run writes nothing there)."""
        target = self.tmp / name
        shutil.copytree(EXAMPLES / name, target, dirs_exist_ok=True)
        return target

    def check_json(self, name, *extra, env=None):
        r = self.run_mgpux("--json", "compose", *extra, "check", cwd=self.stack(name), env=env)
        self.assertExit(r, 0)
        doc = r.json()
        doc["file"] = os.path.relpath(doc["file"], self.tmp)
        return doc

    def render(self, name, *args, env=None):
        """The script `compose up --dry-run` renders for an example, with its stand-in report."""
        out = self.tmp / "script.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "compose", *args, cwd=self.stack(name), env=env)
        self.assertExit(r, 0)
        text = out.read_text(encoding="utf-8")
        return text, module_literals(text), self.inspect_rendered(text)

    # ------------------------------------------------------------ check

    def test_check_json_of_every_example_matches_the_expected_picture(self):
        for name in STACKS:
            with self.subTest(stack=name):
                expected = json.loads((EXPECTED / (name + ".json")).read_text(encoding="utf-8"))
                self.assertEqual(self.check_json(name, env={"DB_PASSWORD": "", "HF_TOKEN": ""}), expected)

    def test_vm_check_uses_x_mgpux_and_secrets_are_masked(self):
        doc = self.check_json("gpu-inference", "vm", env={"HF_TOKEN": "hf_secret"})
        self.assertEqual(doc["mode"], "vm")
        self.assertEqual(doc["x_mgpux"]["gpu"], "L4")
        self.assertTrue(doc["gpu_needed"])
        self.assertEqual(doc["services"][0]["environment"]["HF_TOKEN"], "****")
        self.assertNotIn("hf_secret", json.dumps(doc))

    def test_check_text_names_kinds_and_warnings(self):
        r = self.run_mgpux("compose", "check", cwd=self.stack("api-worker-broker"))
        self.assertExit(r, 0)
        self.assertIn("broker  [rabbitmq]", r.out)
        self.assertIn("API_TOKEN=****", r.out)
        self.assertNotIn("example-token", r.out)
        self.assertIn("deploy.replicas 2", r.err)

    def test_errors_name_file_line_and_key(self):
        bad = self.tmp / "bad"
        bad.mkdir()
        (bad / "compose.yaml").write_text("services:\n  web:\n    image: x\n    ports:\n      - \"80:http\"\n")
        r = self.run_mgpux("compose", "check", cwd=bad)
        self.assertExit(r, 1)
        self.assertIn("compose.yaml:5: services.web.ports[0]: invalid port", r.err)
        (bad / "compose.yaml").write_text("services:\n  web:\n    image: x\n    environment:\n"
                                          "      PW: ${NEEDED:?set NEEDED}\n")
        r = self.run_mgpux("compose", "check", cwd=bad)
        self.assertExit(r, 1)
        self.assertIn("compose.yaml:5: services.web.environment.PW: required variable NEEDED", r.err)
        (bad / "compose.yaml").unlink()
        r = self.run_mgpux("compose", "check", cwd=bad)
        self.assertExit(r, 1)
        self.assertIn("looked for compose.yaml", r.err)

    def test_dotenv_is_read_and_the_environment_wins(self):
        stack = self.stack("web-postgres-redis")
        (stack / ".env").write_text("DB_PASSWORD=from-dotenv\n")
        r = self.run_mgpux("--dry-run", "--script-out", self.tmp / "s.py", "compose", "up", "--cpu", "2", cwd=stack)
        self.assertExit(r, 0)
        text = (self.tmp / "s.py").read_text()
        self.assertNotIn("from-dotenv", text)  # a password reaches the container through the launch's secret
        lits = module_literals(text)
        postgres = next(s for s in lits["SERVICES"] if "POSTGRES_PASSWORD" in s["secret_env"])
        self.assertNotIn("POSTGRES_PASSWORD", postgres["env"])
        self.assertIn(postgres["secret_env"]["POSTGRES_PASSWORD"], lits["SECRET_VARS"])
        self.launch_with_secret(stack, "from-dotenv")
        self.launch_with_secret(stack, "from-env", env={"DB_PASSWORD": "from-env"})

    def launch_with_secret(self, stack, value, env=None):
        """Launches `compose up` through the fake: the modal process got every variable of the
        script's ephemeral secret, and `value` is in no file the launch wrote, not in argv and not
        in the fake's log."""
        before = len(self.fake.calls_of("run"))
        r = self.run_mgpux("--yes", "compose", "up", "--cpu", "2", cwd=stack, env=env)
        self.assertExit(r, 0)
        run = self.fake.calls_of("run")[before]
        environ = run["script"]["local_environ"]
        self.assertTrue(environ and all(k.startswith("COMPOSE_SECRET_") for k in environ), environ)
        self.assertTrue(all(environ.values()), environ)
        self.assertNotIn(value, json.dumps(self.fake.calls()))
        self.assertNotIn(value, r.out + r.err)
        for f in self.state_dir.rglob("*"):
            if f.is_file():
                self.assertNotIn(value, f.read_text(errors="replace"), f)

    # ------------------------------------------------------------ up / vm up scripts

    def test_up_scripts_of_every_example_inspect_cleanly(self):
        for name in STACKS:
            with self.subTest(stack=name):
                text, lits, report = self.render(name, "up", "--cpu", "2")
                self.assertEqual(report["app"]["name"], "m-gpux-compose")
                (fn,) = report["functions"]
                self.assertEqual(fn["name"], "run_compose")
                self.assertIn("/workspace", json.dumps(fn["volumes"]))
                self.assertTrue(lits["LOCAL_DIR"].endswith(name))
                names = [s["name"] for s in lits["SERVICES"]]
                for s in lits["SERVICES"]:  # dependencies start first
                    for d in s["depends_on"]:
                        self.assertLess(names.index(d["service"]), names.index(s["name"]))

    def test_vm_up_scripts_of_every_example_inspect_cleanly(self):
        for name in STACKS:
            with self.subTest(stack=name):
                _, lits, report = self.render(name, "vm", "up", "--cpu", "2")
                self.assertEqual(report["app"]["name"], "m-gpux-compose-vm")
                (fn,) = report["functions"]
                self.assertEqual(fn["name"], "run_compose_vm")
                started = {s["name"] for s in lits["SERVICES"]}
                published = []
                for svc in json.loads((EXPECTED / (name + ".json")).read_text())["services"]:
                    for port in svc["ports"]:
                        if svc["name"] in started and port["published"] and port["target"] not in [p for _, p in published]:
                            published.append((svc["name"], port["target"]))
                # Every published port of what starts, and nothing of a service left out by profiles.
                self.assertEqual([(t["service"], t["port"]) for t in lits["TUNNELS"]], published)
                self.assertNotIn("commander", started)

    def test_image_replaces_the_base_of_up_and_vm_up(self):
        self.publish_image("stack-base", ["alice"])
        for mode in (("up",), ("vm", "up")):
            text, _, report = self.render("gpu-inference", *mode, "--cpu", "2", "--image", "stack-base")
            self.assertEqual(self.from_name_literals(text), ["stack-base"], mode)
            self.assertNotIn("from_registry(", text, mode)
            self.assertEqual(report["images"][0]["base"]["type"], "from_name", mode)
        for mode in (("up",), ("vm", "up")):
            r = self.run_mgpux("--dry-run", "compose", *mode, "--cpu", "2", "--image", "nowhere",
                               cwd=self.stack("gpu-inference"))
            self.assertExit(r, 2)
            self.assertIn("nowhere", r.err)
        self.assertEqual(self.modal_calls(), [])

    def test_up_installs_infra_and_tunnels_only_the_main_port(self):
        password = "p\"w'\\x${}"
        text, lits, report = self.render("web-postgres-redis", "up", "--cpu", "2", env={"DB_PASSWORD": password})
        apt = report["images"][-1]["steps"]
        apt_packages = [a for s in apt if s["op"] == "apt_install" for a in s["args"]]
        for pkg in ("postgresql", "redis-server"):
            self.assertIn(pkg, apt_packages)
        self.assertEqual(lits["TUNNELS"], [{"service": "web", "port": 8000}])
        by_name = {s["name"]: s for s in lits["SERVICES"]}
        self.assertEqual([s["name"] for s in lits["SERVICES"]], ["db", "cache", "web"])
        self.assertFalse(by_name["db"]["exposed"])
        self.assertEqual(by_name["web"]["argv"], ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"])
        self.assertNotIn("POSTGRES_PASSWORD", by_name["web"]["env"])  # carried by the launch's secret
        self.assertNotIn(password, text)
        self.launch_with_secret(self.stack("web-postgres-redis"), password, env={"DB_PASSWORD": password})
        self.assertEqual(by_name["web"]["env"]["DEBUG"], "true")
        self.assertEqual(by_name["db"]["healthcheck"]["test"], ["sh", "-c", "pg_isready -h 127.0.0.1 -U app"])
        self.assertEqual(lits["WORKSPACE_VOLUME_NAME"][:15], "m-gpux-compose-")
        self.assertIn("db", lits["HOST_NAMES"])

    def test_expose_flag_chooses_the_tunnels(self):
        _, lits, _ = self.render("web-postgres-redis", "up", "--cpu", "2", "--expose", "web:8000",
                                 "--expose", "cache")
        self.assertEqual(lits["TUNNELS"], [{"service": "web", "port": 8000}, {"service": "cache", "port": 6379}])
        r = self.run_mgpux("--dry-run", "compose", "up", "--cpu", "2", "--expose", "ghost:1",
                           cwd=self.stack("web-postgres-redis"))
        self.assertExit(r, 2)
        self.assertIn("--expose ghost:1", r.err)

    def test_services_flag_brings_dependencies_and_mongo_repository(self):
        text, lits, report = self.render("api-worker-broker", "up", "--cpu", "2", "--services", "api")
        self.assertEqual([s["name"] for s in lits["SERVICES"]], ["broker", "store", "api"])
        self.assertTrue(any("repo.mongodb.org" in c for c in lits["SETUP_COMMANDS"]))
        api = lits["SERVICES"][2]
        self.assertEqual(api["argv"], ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"])  # Dockerfile CMD
        self.assertEqual(api["cwd"], "/workspace/api")
        self.assertIn("API_TOKEN", api["secret_env"])  # from env_file, carried by the launch's secret
        self.assertNotIn("example-token", text)

    def test_profiles_leave_services_out_and_nginx_uses_the_bound_config(self):
        _, lits, _ = self.render("nginx-frontend", "up", "--cpu", "2", "--expose", "proxy:80")
        names = [s["name"] for s in lits["SERVICES"]]
        self.assertNotIn("commander", names)
        proxy = next(s for s in lits["SERVICES"] if s["name"] == "proxy")
        self.assertEqual(proxy["binds"], [{"source": "/workspace/nginx.conf", "target": "/etc/nginx/conf.d/default.conf"}])
        self.assertEqual(lits["TUNNELS"], [{"service": "proxy", "port": 80}])

    def test_vm_up_honours_x_mgpux(self):
        text, lits, report = self.render("gpu-inference", "vm", "up")
        self.assertEqual(report["app"]["name"], "m-gpux-compose-vm")
        (fn,) = report["functions"]
        self.assertEqual(fn["name"], "run_compose_vm")
        self.assertEqual(fn["gpu"], "L4")
        self.assertEqual(lits["ADD_PYTHON"], "3.11")
        self.assertEqual(lits["PIP_PACKAGES"], ["vllm"])
        self.assertIn("ffmpeg", lits["APT_PACKAGES"])
        # VM mode tunnels every published port unless --expose says otherwise.
        self.assertEqual(lits["TUNNELS"], [{"service": "inference", "port": 8000}, {"service": "ui", "port": 3000}])

    def test_launch_is_a_detached_compose_session(self):
        self.fake.set_scenario([{"match": ["run"], "container_output": ["[m-gpux] READY " + READY_URL]}])
        r = self.run_mgpux("--yes", "--json", "--profile", "work", "compose", "up", "--cpu", "2",
                           cwd=self.stack("web-postgres-redis"))
        self.assertExit(r, 0)
        (run,) = self.fake.calls_of("run")
        self.assertEqual(run["argv"][:2], ["run", "--detach"])
        self.assertEqual(run["env"].get("MODAL_PROFILE"), "work")
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual([s["kind"] for s in sessions], ["compose"])
        self.assertEqual(sessions[0]["app_name"], "m-gpux-compose")
        self.assertEqual(r.json()["session_id"], sessions[0]["id"])
        self.assertEqual(r.json()["tunnels"], ["web:8000"])

    # ------------------------------------------------------------ sync

    def test_sync_puts_changes_and_removes_deletions_with_the_profile_pinned(self):
        stack = self.stack("web-postgres-redis")
        (stack / "pkg").mkdir()
        (stack / "pkg" / "old.py").write_text("old\n")
        (stack / "gone").mkdir()
        (stack / "gone" / "x.txt").write_text("x\n")
        r = self.run_mgpux("--profile", "work", "compose", "sync", "--once", cwd=stack)
        (create,) = self.fake.calls_of("volume", "create")  # a new project's volume is created first
        volume = create["argv"][2]
        self.assertTrue(volume.startswith("m-gpux-compose-web-postgres-redis-"))
        self.assertExit(r, 0)
        self.assertIn("uploaded", r.out)
        self.assertEqual(self.fake.volume_dir(volume).joinpath("pkg", "old.py").read_text(), "old\n")
        self.assertTrue(self.fake.volume_dir(volume).joinpath("app.py").is_file())
        self.assertFalse(self.fake.volume_dir(volume).joinpath("workspace").exists())
        # A created, a changed and a deleted file (and a deleted folder).
        (stack / "pkg" / "new.py").write_text("new\n")
        (stack / "app.py").write_text("changed, and longer than before\n" * 3)
        (stack / "pkg" / "old.py").unlink()
        shutil.rmtree(stack / "gone")
        start = len(self.fake.calls())
        r = self.run_mgpux("--profile", "work", "compose", "sync", "--once", cwd=stack)
        self.assertExit(r, 0)
        calls = self.fake.calls()[start:]
        argvs = [c["argv"] for c in calls]
        self.assertIn(["volume", "put", "--force", volume, argvs[0][4], "/app.py"], argvs)
        self.assertTrue(any(a[:4] == ["volume", "put", "--force", volume] and a[5] == "/pkg" for a in argvs))
        self.assertIn(["volume", "rm", "-r", volume, "/pkg/old.py"], argvs)
        self.assertIn(["volume", "rm", "-r", volume, "/gone"], argvs)
        self.assertEqual(len(argvs), 4)  # batched: one call per top-level entry, not per file
        for c in calls:
            self.assertEqual(c["env"].get("MODAL_PROFILE"), "work")
        vol = self.fake.volume_dir(volume)
        self.assertEqual((vol / "pkg" / "new.py").read_text(), "new\n")
        self.assertFalse((vol / "pkg" / "old.py").exists())
        self.assertFalse((vol / "gone").exists())
        self.assertIn("Round 1: 2 uploaded, 2 deleted", r.out)


# Runs a rendered sandbox driver's up() under the modal stand-in and prints what each
# Sandbox.create got (the stand-in records env names only; the values are the point here).
DRIVE_UP = r"""
import json, runpy, sys
import modal
created = []
real_create = modal.Sandbox.create
def create(*args, **kw):
    sb = real_create(*args, **kw)
    created.append(dict(id=sb.object_id, argv=list(args), env=kw.get("env"), gpu=kw.get("gpu"),
                        http=kw.get("encrypted_ports"), tcp=kw.get("unencrypted_ports"),
                        image=kw["image"]._base if hasattr(kw["image"], "_base") else None))
    return sb
modal.Sandbox.create = create
ns = runpy.run_path(sys.argv[1], run_name="driver")
ns["up"]()
print("CREATED " + json.dumps(created, default=str))
"""


# The values the sandbox tests give the driver for its secret-looking variables.
SANDBOX_SECRETS = {"DATABASE_URL": "postgresql://app:pw@db:5432/app"}


class ComposeSandboxTest(MgpuxTestCase):
    def setUp(self):
        super().setUp()
        self.write_two_profiles()
        self.env.update({"PYTHONPATH": str(RUNTIME_DIR), "MGPUX_PYTHON": "/usr/bin/python3"})

    def stack(self, name):
        target = self.tmp / name
        shutil.copytree(EXAMPLES / name, target, dirs_exist_ok=True)
        return target

    def test_up_shows_the_price_of_the_gpu_sandboxes(self):
        r = self.run_mgpux("--dry-run", "compose", "sandbox", "up", "--gpu", "H100", "--timeout", "7200",
                           cwd=self.stack("gpu-inference"))
        self.assertExit(r, 0)
        self.assertIn("~$3.95/h", r.err)
        self.assertIn("2 h × ~$3.95/h ≈ $7.90 at most", r.err)
        self.assertIn("sandbox CPU and memory rates", r.err)

    def drive_up(self, name):
        r = self.run_mgpux("--dry-run", "compose", "sandbox", "up", cwd=self.stack(name))
        self.assertExit(r, 0)
        driver = self.tmp / "driver.py"
        driver.write_text(r.out, encoding="utf-8")
        self.inspect_rendered(r.out)  # imports cleanly: nothing runs at import time
        # m-gpux hands secret-looking values to the driver in its environment, as it does here.
        env = {"PYTHONPATH": str(RUNTIME_DIR), "PATH": os.environ.get("PATH", ""), "TMPDIR": str(self.child_tmp)}
        for service in module_literals(r.out)["SERVICES"]:
            for key, variable in service["secret_env"].items():
                env[variable] = SANDBOX_SECRETS.get(key, "secret-" + key)
        proc = subprocess.run([sys.executable, "-c", DRIVE_UP, str(driver)], capture_output=True, text=True,
                              env=env, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        created = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("CREATED "))[8:])
        stack = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("[m-gpux] STACK "))[15:])
        return created, stack

    def test_driver_of_every_example_creates_one_sandbox_per_service_in_order(self):
        for name in STACKS:
            with self.subTest(stack=name):
                created, stack = self.drive_up(name)
                expected = json.loads((EXPECTED / (name + ".json")).read_text())
                started = [s for s in expected["start_order"]
                           if not next(x for x in expected["services"] if x["name"] == s)["profiles"]]
                self.assertEqual([s["service"] for s in stack], started)
                self.assertEqual(len({c["id"] for c in created}), len(started))

    def test_dependents_get_their_dependencies_addresses(self):
        created, stack = self.drive_up("web-postgres-redis")
        db, cache, web = created
        self.assertEqual(db["argv"], ["docker-entrypoint.sh", "postgres"])
        self.assertEqual(db["tcp"], [5432])
        self.assertEqual(web["http"], [8000])
        host, port = stack[0]["tunnels"]["5432"][len("tcp://"):].rsplit(":", 1)
        self.assertEqual(web["env"]["DB_HOST"], host)
        self.assertEqual(web["env"]["DB_PORT"], port)
        self.assertIn("@%s:%s/app" % (host, port), web["env"]["DATABASE_URL"])
        self.assertNotIn("@db:5432", web["env"]["DATABASE_URL"])

    def test_gpu_service_gets_the_gpu(self):
        created, _ = self.drive_up("gpu-inference")
        self.assertEqual(created[0]["gpu"], "L4")  # x-mgpux gpu
        self.assertIsNone(created[1]["gpu"])

    def test_the_driver_runs_with_the_python_modal_is_installed_with(self):
        # modal's own #! line names the interpreter that can import it; a stub interpreter records
        # that it ran and hands over to Debian's Python (with the runtime on PYTHONPATH).
        bin_dir = self.tmp / "modal-bin"
        bin_dir.mkdir()
        used = self.tmp / "interpreter-used"
        interpreter = bin_dir / "python-with-modal"
        interpreter.write_text("#!/bin/sh\necho \"$@\" >> %s\nexec /usr/bin/python3 \"$@\"\n" % used)
        interpreter.chmod(0o755)
        fake = (FAKES_DIR / "modal").read_text().split("\n", 1)[1]
        (bin_dir / "modal").write_text("#!%s\n%s" % (interpreter, fake))
        (bin_dir / "modal").chmod(0o755)
        env = {"MGPUX_PYTHON": "", "PATH": "%s:%s" % (bin_dir, self.env["PATH"])}
        r = self.run_mgpux("--yes", "--json", "compose", "sandbox", "up", cwd=self.stack("web-postgres-redis"),
                           env=env)
        self.assertExit(r, 0)
        self.assertEqual(len(r.json()["services"]), 3)
        self.assertEqual(used.read_text().split(), ["-", "up"])  # the script came on stdin, not argv

    def test_passwords_reach_the_driver_only_through_its_environment(self):
        r = self.run_mgpux("--dry-run", "compose", "sandbox", "up", cwd=self.stack("web-postgres-redis"),
                           env={"DB_PASSWORD": "s3cret-xyz"})
        self.assertExit(r, 0)
        self.assertNotIn("s3cret-xyz", r.out)
        web = next(s for s in module_literals(r.out)["SERVICES"] if s["name"] == "web")
        self.assertEqual(sorted(web["secret_env"]), ["DATABASE_URL", "POSTGRES_PASSWORD"])
        self.assertNotIn("DATABASE_URL", web["env"])

    def test_up_on_a_profile_over_its_budget_starts_nothing(self):
        self.over_budget('{"*": 30}')
        stack = self.stack("web-postgres-redis")
        r = self.run_mgpux("--yes", "--profile", "work", "compose", "sandbox", "up", cwd=stack)
        self.assertExit(r, 1)
        self.assertIn("$31.00 used of its $30.00 budget", r.err)
        self.assertFalse((self.state_dir / "compose_stacks.json").exists())
        r = self.run_mgpux("--yes", "--json", "--profile", "work", "--ignore-budget", "compose", "sandbox", "up",
                           cwd=stack)
        self.assertExit(r, 0)
        self.assertEqual(len(r.json()["services"]), 3)

    def test_up_ps_down_keep_the_stack_in_state(self):
        stack = self.stack("web-postgres-redis")
        r = self.run_mgpux("--yes", "--json", "--profile", "work", "compose", "sandbox", "up", cwd=stack)
        self.assertExit(r, 0)
        ids = [s["sandbox_id"] for s in r.json()["services"]]
        self.assertEqual(len(ids), 3)
        saved = json.loads((self.state_dir / "compose_stacks.json").read_text())
        (name,) = saved
        self.assertEqual([s["sandbox_id"] for s in saved[name]["services"]], ids)
        self.assertEqual(saved[name]["profile"], "work")
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual([(x["kind"], x["app_name"], x["state"]) for x in sessions],
                         [("compose-sandbox", name, "running")])
        r = self.run_mgpux("--json", "compose", "sandbox", "ps", cwd=stack)
        self.assertExit(r, 0)
        self.assertEqual([row["sandbox_id"] for row in r.json()], ids)
        r = self.run_mgpux("compose", "sandbox", "down", cwd=stack)
        self.assertExit(r, 0)
        for service, sid in zip(["db", "cache", "web"], ids):
            self.assertIn("Terminated %s %s" % (service, sid), r.out)
        self.assertEqual(json.loads((self.state_dir / "compose_stacks.json").read_text()), {})
        sessions = json.loads((self.state_dir / "sessions.json").read_text())
        self.assertEqual([x["state"] for x in sessions], ["stopped"])
        r = self.run_mgpux("compose", "sandbox", "down", cwd=stack)
        self.assertExit(r, 1)
        self.assertIn("no sandbox stack is running", r.err)

    def test_script_out_and_local_backend(self):
        out = self.tmp / "driver.py"
        r = self.run_mgpux("--dry-run", "--script-out", out, "compose", "sandbox", "up",
                           cwd=self.stack("web-postgres-redis"))
        self.assertExit(r, 0)
        self.assertEqual(out.read_text(encoding="utf-8"), r.out)
        r = self.run_mgpux("--backend", "local", "--yes", "compose", "sandbox", "up",
                           cwd=self.stack("web-postgres-redis"))
        self.assertExit(r, 2)
        self.assertIn("Modal only", r.err)

    def test_up_without_a_terminal_needs_yes(self):
        r = self.run_mgpux("compose", "sandbox", "up", cwd=self.stack("web-postgres-redis"))
        self.assertExit(r, 2)
        self.assertIn("--yes", r.err)


if __name__ == "__main__":
    main()
