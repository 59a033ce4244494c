"""`hookbridge dlq`: the publisher's dead-letter queue."""

from __future__ import annotations

import json
from typing import Any

import typer
from botocore.exceptions import ClientError

from hookbridge.publishing.publisher import Publisher
from hookbridge_cli import options, stored
from hookbridge_cli.errors import Refused
from hookbridge_cli.local import lambda_stream_event
from hookbridge_cli.output import Output
from hookbridge_cli.target import Target, resolve

app = typer.Typer(help="The publisher's dead-letter queue.", no_args_is_help=True)


@app.command("redrive")
def redrive(
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Publish the stream records named by dead-letter messages, then delete each message that succeeded."""
    t = resolve(local, stack, aws_port)
    sqs, streams = t.client("sqs"), t.client("dynamodbstreams")
    publisher = Publisher(t.client("events"))
    done = kept = 0
    while messages := sqs.receive_message(
        QueueUrl=t.dead_letter_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages", []):
        for message in messages:
            info = json.loads(message["Body"]).get("DDBStreamBatchInfo")
            if info is None or not _redrive_batch(t, streams, publisher, info):
                kept += 1
                continue
            sqs.delete_message(QueueUrl=t.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
            done += 1
        if kept:
            break
    Output(as_json).result(
        {"redriven": done, "left": kept}, f"redrove {done} batch(es); {kept} left in the queue"
    )
    if kept:
        raise Refused(
            f"{kept} batch(es) could not be redriven",
            "stream records expire after 24 h: use `hookbridge events replay` for those subscriptions",
        )


def _redrive_batch(t: Target, streams: Any, publisher: Publisher, info: dict[str, Any]) -> bool:
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
    except ClientError:
        return False
    end = int(info["endSequenceNumber"])
    records = [
        r
        for r in streams.get_records(ShardIterator=iterator)["Records"]
        if int(r["dynamodb"]["SequenceNumber"]) <= end and r["eventName"] == "INSERT"
    ]
    envelopes = [
        stored.envelope(t, r["dynamodb"]["SequenceNumber"], r["dynamodb"]["NewImage"])
        for r in lambda_stream_event(records, info["streamArn"])["Records"]
    ]
    return not publisher.publish(envelopes)
