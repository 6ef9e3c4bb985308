{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux host static: serves the uploaded folder as a static site on a Modal web endpoint.

Only files are served: no directory listings, and nothing whose path has a part starting
with "." (.env, .git), so a stray secret in the folder is not published.
"""
import functools
import http.server
import threading
import urllib.parse

import modal

SITE_DIR = "/site"
PORT = {{port}}

app = modal.App({{app_name}})
image = (
    # base_image: an image published with `m-gpux image build` (--image), else a fresh debian_slim.
    {{#base_image}}modal.Image.from_name({{base_image}}){{/base_image}}{{^base_image}}modal.Image.debian_slim(python_version={{python_version}}){{/base_image}}
{{#requirements}}
    .pip_install_from_requirements({{requirements}})
{{/requirements}}
{{#has_packages}}
    .pip_install({{#packages}}{{.}}, {{/packages}})
{{/has_packages}}
    .add_local_dir({{project_dir}}, remote_path=SITE_DIR, ignore={{ignore}})
)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Files under SITE_DIR; 404 for dot-names and for folders without an index.html."""

    def send_head(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if any(part.startswith(".") for part in path.split("/") if part):
            self.send_error(404)
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404)
        return None


def make_server(directory=SITE_DIR, port=PORT, host="0.0.0.0"):
    handler = functools.partial(SiteHandler, directory=directory)
    return http.server.ThreadingHTTPServer((host, port), handler)


@app.function(image=image, {{#gpu}}gpu={{gpu}}, {{/gpu}}{{#cpu}}cpu={{cores}}, memory={{memory_mb}}, {{/cpu}}timeout={{timeout_s}}, scaledown_window={{scaledown_window}}, min_containers={{min_containers}})
@modal.concurrent(max_inputs={{max_inputs}})
@modal.web_server(port=PORT, startup_timeout=60)
def web():
    # The server thread keeps serving after web() returns, as web_server expects.
    server = make_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
