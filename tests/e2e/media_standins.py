"""A loopback stand-in for S3: moto's server on a random port of 127.0.0.1, in this process.

    s3 = S3StandIn()
    bucket = s3.bucket()                       # a fresh bucket, created with boto3
    node = Server(*s3.flags(bucket)).start()   # --s3-endpoint http://127.0.0.1:PORT --s3-bucket …
    s3.keys(bucket), s3.read(bucket, key)
    s3.close()

moto keeps its buckets in the process's memory, shared by every moto server of the process:
each test takes its own bucket (`bucket()` names them uniquely)."""
from __future__ import annotations

import logging
import uuid

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer


class S3StandIn:
    ACCESS_KEY = "parley-test-access-key"
    SECRET_KEY = "parley-test-secret-key"
    REGION = "us-east-1"

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        _, self.port = self.server.get_host_and_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.client = boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=self.REGION,
            aws_access_key_id=self.ACCESS_KEY, aws_secret_access_key=self.SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=30,
                          retries={"max_attempts": 2}))

    def bucket(self) -> str:
        name = "parley-" + uuid.uuid4().hex[:16]
        self.client.create_bucket(Bucket=name)
        return name

    def flags(self, bucket: str) -> tuple[str, ...]:
        return ("--s3-endpoint", self.endpoint, "--s3-bucket", bucket, "--s3-region", self.REGION,
                "--s3-access-key", self.ACCESS_KEY, "--s3-secret-key", self.SECRET_KEY)

    def keys(self, bucket: str) -> list[str]:
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found += [item["Key"] for item in page.get("Contents", [])]
        return found

    def keys_for(self, bucket: str, sha: str) -> list[str]:
        """The keys whose last path segment starts with `sha` (content-addressed blobs)."""
        return [key for key in self.keys(bucket) if key.rsplit("/", 1)[-1].startswith(sha)]

    def read(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def close(self) -> None:
        self.server.stop()

    def __enter__(self) -> "S3StandIn":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
