"""Objects to S3: the files of a directory under one key prefix (the Lambda's scheduled scan writes its outputs so),
on the scan's clients and retry policy."""

from __future__ import annotations

from pathlib import Path

import anyio

from scanner.aws.clients import AwsClients, CallContext


async def put_directory(clients: AwsClients, region: str, directory: Path, bucket: str, prefix: str) -> None:
    """Each file of `directory` to s3://bucket/prefix/<name>, in name order, as JSON or JSON lines (an AwsError when
    a put fails for good)."""
    s3 = await clients.client("s3", region)
    paths = sorted([path async for path in anyio.Path(directory).iterdir()], key=lambda path: path.name)
    for path in paths:
        await clients.call(
            s3,
            "put_object",
            context=CallContext(None, None),
            Bucket=bucket,
            Key=f"{prefix}/{path.name}",
            Body=await path.read_bytes(),
            ContentType="application/json" if path.suffix == ".json" else "application/x-ndjson",
        )
