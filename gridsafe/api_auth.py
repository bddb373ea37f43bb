"""The API's bearer-token auth, in its own module so routers can name it in a per-operation `auth=[…]` (the big
screen's feeds add the display session) without importing gridsafe.api, which imports them."""

from ninja.security import HttpBearer

from gridsafe.accounts.services import user_for_token
from gridsafe.core.middleware import is_poll


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token, activity=not is_poll(request))
        if user is not None:
            request.user = user
        return user
