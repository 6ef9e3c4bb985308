// SPDX-License-Identifier: MIT
const http = require("http");
http.createServer((req, res) => res.end("frontend\n")).listen(process.env.PORT || 3000);
