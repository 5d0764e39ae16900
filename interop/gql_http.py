"""Interoperability check: Python gql 4.x (AIOHTTPTransport) against `appsync local`.

gql signs requests with botocore's SigV4 (AppSyncIAMAuthentication) or sends an API key
(AppSyncApiKeyAuthentication), exactly as it would against AWS AppSync. The emulator must accept
both, run queries and mutations, serve introspection (gql fetches the schema with it), and reject a
wrong secret and a wrong key with AppSync's errors.

Usage: python gql_http.py URL ACCESS_KEY_ID SECRET API_KEY
Prints one line per check and "N passed, N failed" at the end; exits non-zero on any failure.
"""

from urllib.parse import urlparse

from checks import check, main, tls

from botocore.credentials import Credentials
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication, AppSyncIAMAuthentication
from gql.transport.exceptions import TransportQueryError, TransportServerError

CREATE = gql(
    """
    mutation Create($input: CreatePostInput!) {
      createPost(input: $input) { id title author createdAt }
    }
    """
)
GET = gql("query Get($id: ID!) { getPost(id: $id) { id title author } }")
LIST = gql("query List($author: String) { listPosts(author: $author) { items { id author } nextToken } }")



async def run(url, akid, secret, api_key):
    host = urlparse(url).netloc

    iam = AppSyncIAMAuthentication(host=host, region_name="us-east-1", credentials=Credentials(akid, secret))
    async with Client(transport=AIOHTTPTransport(url=url, auth=iam, **tls(url)), fetch_schema_from_transport=True) as s:
        schema = s.client.schema
        check("IAM: schema fetched by introspection", schema is not None and schema.get_type("PostConnection") is not None)
        created = await s.execute(CREATE, variable_values={"input": {"title": "from gql", "author": "py-iam"}})
        post = created["createPost"]
        check("IAM: mutation createPost", post["title"] == "from gql" and len(post["id"]) > 0, str(post))
        got = await s.execute(GET, variable_values={"id": post["id"]})
        check("IAM: query getPost returns the created post", got["getPost"] == {"id": post["id"], "title": "from gql", "author": "py-iam"}, str(got))

    key = AppSyncApiKeyAuthentication(host=host, api_key=api_key)
    async with Client(transport=AIOHTTPTransport(url=url, auth=key, **tls(url))) as s:
        await s.execute(CREATE, variable_values={"input": {"title": "keyed", "author": "py-key"}})
        listed = await s.execute(LIST, variable_values={"author": "py-key"})
        items = listed["listPosts"]["items"]
        check("API key: mutation then filtered list", len(items) == 1 and items[0]["author"] == "py-key", str(listed))
        try:
            await s.execute(gql("query { nope }"))
            check("API key: validation error", False, "no error raised")
        except TransportQueryError as e:
            err = e.errors[0] if e.errors else {}
            check("API key: validation error in AppSync's words", "FieldUndefined" in err.get("message", "") and "errorType" not in err, str(err))

    bad_iam = AppSyncIAMAuthentication(host=host, region_name="us-east-1", credentials=Credentials(akid, secret + "x"))
    async with Client(transport=AIOHTTPTransport(url=url, auth=bad_iam, **tls(url))) as s:
        try:
            await s.execute(LIST)
            check("IAM wrong secret: rejected", False, "request succeeded")
        except (TransportServerError, TransportQueryError) as e:
            check("IAM wrong secret: InvalidSignatureException", "InvalidSignatureException" in str(e), f"{type(e).__name__} {e}")

    bad_key = AppSyncApiKeyAuthentication(host=host, api_key=api_key + "x")
    async with Client(transport=AIOHTTPTransport(url=url, auth=bad_key, **tls(url))) as s:
        try:
            await s.execute(LIST)
            check("API key wrong: rejected", False, "request succeeded")
        except (TransportServerError, TransportQueryError) as e:
            check("API key wrong: UnauthorizedException", "UnauthorizedException" in str(e), f"{type(e).__name__} {e}")


if __name__ == "__main__":
    main(run, __doc__)
