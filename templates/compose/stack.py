{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux compose: a Docker Compose stack in one Modal container. Infra services (databases,
caches, brokers, nginx) are installed from packages and bound to 127.0.0.1; app services run from
the project folder, synced into the workspace volume at /workspace. Service names resolve to
127.0.0.1. Only the tunnels listed in TUNNELS are opened to the internet.
Markers: "[m-gpux] TUNNEL <service>:<port> <url>" per tunnel, "[m-gpux] READY <url>" for the first.
"""
import contextlib
import os
import shutil
import subprocess
import threading
import time

import modal

app = modal.App({{app_name}})

{{> common/upload.py}}

{{> common/workspace.py}}

{{> common/ready.py}}

LOCAL_DIR = {{local_dir}}
BASE_IMAGE = {{base_image}}
ADD_PYTHON = {{add_python}}
APT_PACKAGES = {{apt_packages}}
SETUP_COMMANDS = {{setup_commands}}
PIP_PACKAGES = {{pip_packages}}
REQUIREMENTS_FILE = {{requirements}}
# Start order: every service after what it depends on. Values are exactly as the compose file
# (after interpolation) gives them.
SERVICES = {{services}}
# Environment values that look secret (passwords, tokens) are not written here: each service's
# "secret_env" names the variable of the launch's ephemeral secret that carries the value.
SECRET_VARS = {{secret_vars}}
MAIN_SERVICE = {{main_service}}
TUNNELS = {{tunnels}}
HOST_NAMES = {{host_names}}
MAX_RESTARTS = 5
INFRA_DATA = "/var/lib/m-gpux"
# Bind targets never replaced by a link to the workspace.
PROTECTED_DIRS = {"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/root", "/sbin", "/sys", "/usr", "/var", "/workspace"}

# published_image: an image published with `m-gpux image build` (--image) replaces BASE_IMAGE.
image = {{#published_image}}modal.Image.from_name({{published_image}}){{/published_image}}{{^published_image}}modal.Image.from_registry(BASE_IMAGE, add_python=ADD_PYTHON) if ADD_PYTHON else modal.Image.from_registry(BASE_IMAGE){{/published_image}}
image = image.env({"DEBIAN_FRONTEND": "noninteractive"})
if SETUP_COMMANDS:
    image = image.run_commands(*SETUP_COMMANDS)
image = image.apt_install(*APT_PACKAGES)
if PIP_PACKAGES:
    image = image.pip_install(*PIP_PACKAGES)
if REQUIREMENTS_FILE:
    image = image.pip_install_from_requirements(REQUIREMENTS_FILE)
# Mounted at container start (copy=False), so it must be the last step.
image = image.add_local_dir(LOCAL_DIR, WORKSPACE_SEED_DIR, ignore=UPLOAD_IGNORE)


def _log(message):
    print("[m-gpux] %s" % message, flush=True)


# ---------------------------------------------------------------- infra services

NGINX_DEFAULT = """worker_processes 1;
events { worker_connections 1024; }
http {
    server {
        listen %(bind)s:%(port)d;
        location / {
            proxy_pass http://127.0.0.1:%(upstream)d;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
"""


def _bind_address(service):
    """Infra listens on loopback unless the user exposed it (a tunnel reaches the container's address)."""
    return "0.0.0.0" if service["exposed"] else "127.0.0.1"


def _as_user(user, argv):
    return ["runuser", "-u", user, "--"] + argv


def _postgres(service, env):
    port, data = service["port"], os.path.join(INFRA_DATA, service["name"])
    bindir = sorted(p for p in os.listdir("/usr/lib/postgresql"))[-1]
    pg = "/usr/lib/postgresql/%s/bin/" % bindir
    user = env.get("POSTGRES_USER") or "postgres"
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        os.makedirs(data, exist_ok=True)
        subprocess.run(["chown", "-R", "postgres", data], check=True)
        pwfile = os.path.join(INFRA_DATA, ".%s.pw" % service["name"])
        with open(pwfile, "w") as f:
            f.write(env.get("POSTGRES_PASSWORD") or "postgres")
        subprocess.run(["chown", "postgres", pwfile], check=True)
        subprocess.run(_as_user("postgres", [pg + "initdb", "-D", data, "-U", user, "--pwfile=" + pwfile, "-A", "md5"]), check=True)
        os.remove(pwfile)
        database = env.get("POSTGRES_DB") or user
        if database != "postgres":
            opts = "-c listen_addresses=127.0.0.1 -p %d" % port
            subprocess.run(_as_user("postgres", [pg + "pg_ctl", "-D", data, "-o", opts, "-w", "start"]), check=True)
            subprocess.run([pg + "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", user, database],
                           env=dict(os.environ, PGPASSWORD=env.get("POSTGRES_PASSWORD") or "postgres"), check=True)
            subprocess.run(_as_user("postgres", [pg + "pg_ctl", "-D", data, "-w", "stop"]), check=True)
    return _as_user("postgres", [pg + "postgres", "-D", data, "-c", "listen_addresses=" + _bind_address(service), "-p", str(port)])


def _sql_string(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _mysql(service, env):
    port, data = service["port"], os.path.join(INFRA_DATA, service["name"])
    init = os.path.join(INFRA_DATA, "%s-init.sql" % service["name"])
    if not os.path.isdir(os.path.join(data, "mysql")):
        os.makedirs(data, exist_ok=True)
        subprocess.run(["chown", "-R", "mysql", data], check=True)
        subprocess.run(["mysql_install_db", "--user=mysql", "--datadir=" + data], check=True)
    root_pw = env.get("MYSQL_ROOT_PASSWORD") or env.get("MARIADB_ROOT_PASSWORD") or ""
    database = env.get("MYSQL_DATABASE") or env.get("MARIADB_DATABASE")
    user = env.get("MYSQL_USER") or env.get("MARIADB_USER")
    password = env.get("MYSQL_PASSWORD") or env.get("MARIADB_PASSWORD") or ""
    lines = ["ALTER USER 'root'@'localhost' IDENTIFIED BY %s;" % _sql_string(root_pw)]
    if database:
        lines.append("CREATE DATABASE IF NOT EXISTS `%s`;" % database.replace("`", "``"))
    if user:
        lines.append("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s;" % (_sql_string(user), _sql_string(password)))
        if database:
            lines.append("GRANT ALL ON `%s`.* TO %s@'%%';" % (database.replace("`", "``"), _sql_string(user)))
    with open(init, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.makedirs("/run/mysqld", exist_ok=True)
    subprocess.run(["chown", "mysql", "/run/mysqld", init], check=True)
    return ["mysqld", "--user=mysql", "--datadir=" + data, "--bind-address=" + _bind_address(service),
            "--port=%d" % port, "--init-file=" + init]


def _redis(service, env):
    argv = ["redis-server", "--bind", _bind_address(service), "--port", str(service["port"]), "--daemonize", "no"]
    password = env.get("REDIS_PASSWORD")
    return argv + (["--requirepass", password] if password else [])


def _memcached(service, env):
    return ["memcached", "-u", "root", "-l", _bind_address(service), "-p", str(service["port"])]


def _rabbitmq(service, env):
    os.environ["RABBITMQ_NODE_IP_ADDRESS"] = _bind_address(service)
    os.environ["RABBITMQ_NODE_PORT"] = str(service["port"])
    return ["rabbitmq-server"]


def _mongodb(service, env):
    data = os.path.join(INFRA_DATA, service["name"])
    os.makedirs(data, exist_ok=True)
    return ["mongod", "--bind_ip", _bind_address(service), "--port", str(service["port"]), "--dbpath", data]


def _nginx(service, env):
    # Ubuntu's own site listens on 80 as the default server and would shadow the stack's config.
    if os.path.lexists("/etc/nginx/sites-enabled/default"):
        os.remove("/etc/nginx/sites-enabled/default")
    if any(b["target"].startswith("/etc/nginx") for b in service["binds"]):
        return ["nginx", "-g", "daemon off;"]
    upstream = next((s["port"] for s in SERVICES if s["name"] in [d["service"] for d in service["depends_on"]] and s["port"]), None)
    conf = "/etc/nginx/m-gpux-%s.conf" % service["name"]
    with open(conf, "w") as f:
        f.write(NGINX_DEFAULT % dict(bind=_bind_address(service), port=service["port"], upstream=upstream or 8000))
    return ["nginx", "-g", "daemon off;", "-c", conf]


def _minio(service, env):
    data = os.path.join(INFRA_DATA, service["name"])
    os.makedirs(data, exist_ok=True)
    return ["minio", "server", data, "--address", "%s:%d" % (_bind_address(service), service["port"])]


INFRA = dict(postgres=_postgres, mysql=_mysql, redis=_redis, memcached=_memcached, rabbitmq=_rabbitmq,
             mongodb=_mongodb, nginx=_nginx, minio=_minio)


# ---------------------------------------------------------------- supervisor

class Supervised:
    """One service: its output prefixed with its name, restarted with backoff after a crash."""

    def __init__(self, service):
        self.service = service
        self.proc = None
        self.exit_code = None
        self.finished = threading.Event()

    def argv(self, env):
        if self.service["argv"]:
            return self.service["argv"]
        start = INFRA.get(self.service["kind"])
        return start(self.service, env) if start else None

    def run(self):
        name = self.service["name"]
        env = dict(os.environ)
        env.update(self.service["env"])
        restarts, backoff = 0, 1.0
        while True:
            argv = self.argv(self.service["env"])
            if not argv:
                _log("%s has no command (add `command:` to the compose file); not started" % name)
                break
            try:
                self.proc = subprocess.Popen(argv, cwd=self.service["cwd"], env=env, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, text=True, errors="replace")
            except OSError as exc:
                _log("%s could not start: %s" % (name, exc))
                self.exit_code = 127
                break
            for line in self.proc.stdout:
                print("[%s] %s" % (name, line.rstrip("\n")), flush=True)
            self.exit_code = self.proc.wait()
            if self.exit_code == 0 or restarts >= MAX_RESTARTS:
                _log("%s exited with %d%s" % (name, self.exit_code, "" if self.exit_code == 0 else "; not restarting"))
                break
            restarts += 1
            _log("%s crashed (exit %d); restart %d of %d in %.0f s" % (name, self.exit_code, restarts, MAX_RESTARTS, backoff))
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
        self.finished.set()

    def healthy(self):
        """Probes until one passes; failures during start_period do not count, then `retries` may fail."""
        check = self.service["healthcheck"]
        env = dict(os.environ)
        env.update(self.service["env"])
        deadline = time.monotonic() + check["start_period_s"] + max(check["retries"], 1) * max(check["interval_s"], 1.0)
        while True:
            try:
                if subprocess.run(check["test"], env=env, timeout=check["timeout_s"], capture_output=True).returncode == 0:
                    return True
            except (OSError, subprocess.TimeoutExpired):
                pass
            if self.finished.is_set() or time.monotonic() > deadline:
                return False
            time.sleep(min(check["interval_s"], 5.0))


def _wait_for(dep, condition, running):
    target = running[dep]
    if condition == "service_completed_successfully":
        target.finished.wait()
        return target.exit_code == 0
    if condition == "service_healthy" and target.service["healthcheck"]:
        return target.healthy()
    port = target.service["port"]
    return _wait_for_port(port, timeout_s=60.0) if port else True


def _link_binds(service):
    """Bind mounts of project files point at the workspace copy."""
    for bind in service["binds"]:
        target = bind["target"].rstrip("/") or "/"
        if target in PROTECTED_DIRS:
            _log("%s: not replacing %s with a project folder" % (service["name"], target))
            continue
        if os.path.islink(target) or os.path.isfile(target):
            os.remove(target)
        elif os.path.isdir(target):
            shutil.rmtree(target)  # the image's copy gives way to the project's, as a bind mount would
        os.makedirs(os.path.dirname(target) or "/", exist_ok=True)
        if not os.path.exists(target):
            os.symlink(bind["source"], target)


def _add_host_names():
    with open("/etc/hosts", "a") as f:
        f.write("127.0.0.1 %s\n" % " ".join(HOST_NAMES))


def _add_secret_env():
    """Puts each service's secret values (from the launch's ephemeral secret) into its environment."""
    for service in SERVICES:
        for name, variable in service["secret_env"].items():
            service["env"][name] = os.environ.get(variable, "")


def _start_stack():
    running = {}
    for service in SERVICES:
        for dep in service["depends_on"]:
            if not _wait_for(dep["service"], dep["condition"], running):
                _log("%s: %s did not become %s; starting it anyway" % (service["name"], dep["service"], dep["condition"]))
        _link_binds(service)
        supervised = Supervised(service)
        running[service["name"]] = supervised
        threading.Thread(target=supervised.run, name="svc-" + service["name"], daemon=True).start()
        _log("started %s" % service["name"])
    return running


def _reload_workspace(stop):
    """`m-gpux compose sync` writes the volume; the container picks the files up with reload()."""
    while not stop.wait(5.0):
        try:
            workspace_volume.reload()
        except Exception:  # noqa: BLE001 - open files block a reload; the next try may succeed
            pass


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
    volumes={WORKSPACE_DIR: workspace_volume},
    secrets=[modal.Secret.from_local_environ({{secret_vars}})] if SECRET_VARS else [],
)
{{#vm}}def run_compose_vm():{{/vm}}{{^vm}}def run_compose():{{/vm}}
    copied, errors = _seed_workspace()
    _commit_workspace()
    _log("workspace: %d files from the upload (%d errors)" % (copied, errors))
    _add_host_names()
    _add_secret_env()
    os.makedirs(INFRA_DATA, exist_ok=True)
    stop = threading.Event()
    threading.Thread(target=_reload_workspace, args=(stop,), daemon=True).start()
    running = _start_stack()
    with contextlib.ExitStack() as tunnels:
        for i, t in enumerate(TUNNELS):
            _wait_for_port(t["port"], timeout_s=60.0)
            tunnel = tunnels.enter_context(modal.forward(t["port"]))
            print("[m-gpux] TUNNEL %s:%d %s" % (t["service"], t["port"], tunnel.url), flush=True)
            if i == 0:
                _announce_ready(tunnel.url)
        while not all(s.finished.is_set() for s in running.values()):
            time.sleep(1.0)
    stop.set()
    _log("every service has exited")
