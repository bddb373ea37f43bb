"""Cameras (GB/T 28181 register), the video gateway and video-AI alarms (issue 15)."""
