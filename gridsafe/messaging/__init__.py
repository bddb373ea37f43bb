"""Messages out: SMS, WeCom and signed outbound webhooks behind one channel interface (issue 15)."""
