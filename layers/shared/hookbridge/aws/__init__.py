"""The AWS adapters: DynamoDB (events, subscriptions, rejection counts), S3 payloads, Secrets Manager."""
