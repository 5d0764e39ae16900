//! GraphQL documents for the emulator's demo schema (`appsync_local`'s `demo_schema.graphql`),
//! written once so a change to the schema breaks one place.

/// Creates a post and selects every field the demo schema's `Post` has.
pub const CREATE_POST: &str = "mutation Create($input: CreatePostInput!) {
  createPost(input: $input) { id title author content createdAt updatedAt }
}";

/// Creates a post and selects `id title author`: what the subscription tests compare.
pub const CREATE_POST_SHORT: &str =
    "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title author } }";

/// Subscribes to created posts, optionally by author.
pub const ON_CREATE_POST: &str = "subscription OnCreatePost($author: String) {
  onCreatePost(author: $author) { id title author }
}";

/// Posts reachable with every auth mode, and one field (`iamOnly`) only IAM may read, for partial
/// data. The Python package's tests read the same file.
pub const POSTS_ALL_MODES_SCHEMA: &str = include_str!("../schemas/posts_all_modes.graphql");
