"""Command handlers, one small module per concern. Each is `async def h(ctx, args) -> None`."""
