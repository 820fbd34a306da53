"""Benchmarks: DynamoDB calls and items read, counted with botocore event hooks (never moto's timing)."""
