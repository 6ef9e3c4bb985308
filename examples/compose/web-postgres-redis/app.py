# SPDX-License-Identifier: MIT
"""The web service of the example stack: answers with the addresses it was given."""
import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def index():
    return {"database": os.environ.get("DATABASE_URL", "").split("@")[-1], "cache": os.environ.get("REDIS_URL")}
