"""What a message says: the summary, boilerplate removal, rendering to Telegram HTML; pure."""
