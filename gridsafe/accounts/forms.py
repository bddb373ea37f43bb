from django import forms


class OtpForm(forms.Form):
    code = forms.CharField(
        label="动态口令",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
