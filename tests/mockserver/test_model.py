"""The resource model: which collection, item, singleton, action or batch each operation is,
inferred from small lists of `OperationShape`s (no documents involved)."""

from __future__ import annotations

from typing import Any

from mockserver.model import (
    ListShape,
    OperationShape,
    ResourceModel,
    envelope_key,
    id_field,
    infer_model,
    unwrap,
)

Schema = dict[str, Any]


def obj(**properties: Schema) -> Schema:
    return {"type": "object", "properties": properties}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
MEMORY = obj(memory_id=STR, text=STR, created_at={"type": "string", "format": "date-time"})
MEMORY_IN = obj(text=STR)


def op(
    method: str,
    path: str,
    request: Schema | None = None,
    success: Schema | None = None,
    identity: str | None = None,
) -> OperationShape:
    return OperationShape(method, path, request, success, identity_override=identity)


def kinds(model: ResourceModel) -> dict[tuple[str, str], tuple[str, str]]:
    """(method, path) -> (role kind, collection path)."""
    return {key: (role.kind, role.collection.path) for key, role in model.roles.items()}


def memories() -> list[OperationShape]:
    return [
        op("GET", "/memories", success=array(MEMORY)),
        op("POST", "/memories", MEMORY_IN, MEMORY),
        op("GET", "/memories/{memory_id}", success=MEMORY),
        op("PATCH", "/memories/{memory_id}", MEMORY_IN, MEMORY),
        op("DELETE", "/memories/{memory_id}"),
    ]


def test_collection_and_item() -> None:
    model = infer_model(memories())
    assert list(model.collections) == ["/memories"]
    collection = model.collections["/memories"]
    assert collection.item_path == "/memories/{memory_id}"
    assert collection.id_param == "memory_id"
    assert collection.scope_params == ()
    assert collection.parents == ()
    assert collection.id_field == "memory_id"
    assert (collection.creatable, collection.listable, collection.singleton) == (True, True, False)
    assert kinds(model) == {
        ("GET", "/memories"): ("list", "/memories"),
        ("POST", "/memories"): ("create", "/memories"),
        ("GET", "/memories/{memory_id}"): ("read", "/memories"),
        ("PATCH", "/memories/{memory_id}"): ("update", "/memories"),
        ("DELETE", "/memories/{memory_id}"): ("delete", "/memories"),
    }
    assert model.role("get", "/memories/{memory_id}") is model.roles[("GET", "/memories/{memory_id}")]


def test_collection_without_list_is_not_listable() -> None:
    model = infer_model([op("GET", "/memories/{memory_id}", success=MEMORY)])
    collection = model.collections["/memories"]
    assert (collection.creatable, collection.listable) == (False, False)


def test_nested_scope() -> None:
    post = obj(id=STR, user_id=STR, text=STR)
    model = infer_model(
        [
            op("GET", "/users/{user_id}", success=obj(id=STR, name=STR)),
            op("GET", "/users/{user_id}/posts", success=array(post)),
            op("POST", "/users/{user_id}/posts", obj(text=STR), post),
            op("GET", "/users/{user_id}/posts/{post_id}", success=post),
        ]
    )
    assert set(model.collections) == {"/users", "/users/{user_id}/posts"}
    posts = model.collections["/users/{user_id}/posts"]
    assert posts.item_path == "/users/{user_id}/posts/{post_id}"
    assert posts.id_param == "post_id"
    assert posts.scope_params == ("user_id",)
    assert posts.parents == (("/users", "user_id"),)
    assert posts.id_field == "id"
    assert model.collections["/users"].parents == ()
    assert kinds(model)[("GET", "/users/{user_id}/posts")] == ("list", "/users/{user_id}/posts")
    assert kinds(model)[("POST", "/users/{user_id}/posts")] == ("create", "/users/{user_id}/posts")


def test_singleton() -> None:
    settings = obj(theme=STR, language=STR)
    model = infer_model(
        [
            op("GET", "/api/settings", success=settings),
            op("PUT", "/api/settings", settings, settings),
            op("DELETE", "/api/settings"),
        ]
    )
    collection = model.collections["/api/settings"]
    assert collection.singleton is True
    assert collection.item_path is None
    assert collection.id_param is None
    assert collection.id_field is None
    assert collection.read_schema == settings
    assert kinds(model) == {
        ("GET", "/api/settings"): ("singleton_read", "/api/settings"),
        ("PUT", "/api/settings"): ("singleton_write", "/api/settings"),
        ("DELETE", "/api/settings"): ("singleton_delete", "/api/settings"),
    }


def test_a_list_of_plain_values_written_whole_is_a_document_and_a_list_of_items_is_not() -> None:
    """Adyen's authorised card users: GET answers `{"legalEntityIds": [...]}`, POST and PATCH
    write it, DELETE removes it: one document per payment instrument, not a collection. The
    same methods over an array of objects (or of object variants) stay a collection."""
    users = obj(legalEntityIds=array(STR))
    path = "/paymentInstruments/{id}/authorisedCardUsers"
    model = infer_model(
        [op("GET", path, success=users), op("POST", path, users), op("PATCH", path, users), op("DELETE", path)]
    )
    assert model.collections[path].singleton is True
    assert kinds(model) == {
        ("GET", path): ("singleton_read", path),
        ("POST", path): ("singleton_write", path),
        ("PATCH", path): ("singleton_write", path),
        ("DELETE", path): ("singleton_delete", path),
    }
    variants = array({"oneOf": [obj(id=STR, a=STR), obj(id=STR, b=STR)]})  # Discord's channels
    model = infer_model([op("GET", "/channels", success=variants), op("POST", "/channels", obj(a=STR)),
                         op("PATCH", "/channels", array(obj(id=STR)))])  # fmt: skip
    assert model.collections["/channels"].singleton is False
    things = obj(data=array(obj(id=STR, name=STR)))
    model = infer_model([op("GET", "/things", success=things), op("POST", "/things", obj(name=STR)),
                         op("PATCH", "/things", obj(name=STR))])  # fmt: skip
    assert model.collections["/things"].singleton is False
    assert kinds(model)[("GET", "/things")] == ("list", "/things")
    assert kinds(model)[("POST", "/things")] == ("create", "/things")


def test_action_below_an_item() -> None:
    goal = obj(id=STR, title=STR, progress=INT)
    model = infer_model(
        [
            op("GET", "/goals/{goal_id}", success=goal),
            op("POST", "/goals/{goal_id}/progress", obj(progress=INT), goal),
        ]
    )
    assert kinds(model)[("POST", "/goals/{goal_id}/progress")] == ("action", "/goals")
    assert "/goals/{goal_id}/progress" not in model.collections


def test_post_on_an_item_is_an_action() -> None:
    pet = obj(id=INT, name=STR)
    model = infer_model([op("GET", "/pets/{petId}", success=pet), op("POST", "/pets/{petId}", obj(name=STR), pet)])
    assert kinds(model)[("POST", "/pets/{petId}")] == ("action", "/pets")


def test_batch_with_an_array_body() -> None:
    model = infer_model([*memories(), op("POST", "/memories/batch", array(MEMORY_IN), array(MEMORY))])
    role = model.roles[("POST", "/memories/batch")]
    assert (role.kind, role.collection.path) == ("batch", "/memories")
    assert role.batch_key is None
    assert role.list_shape == ListShape(MEMORY, None)


def test_batch_with_one_array_property() -> None:
    body = obj(memories=array(MEMORY_IN))
    model = infer_model([*memories(), op("POST", "/memories/batch", body, obj(data=array(MEMORY)))])
    role = model.roles[("POST", "/memories/batch")]
    assert (role.kind, role.batch_key) == ("batch", "memories")
    assert role.list_shape == ListShape(MEMORY, "data")


def test_post_below_a_collection_without_an_array_body_is_no_batch() -> None:
    model = infer_model([*memories(), op("POST", "/memories/search", obj(query=STR), array(MEMORY))])
    assert model.role("POST", "/memories/search") is None


def test_put_on_the_collection_with_the_id_in_the_body_is_an_update() -> None:
    pet = obj(id=INT, name=STR, status=STR)
    model = infer_model(
        [
            op("GET", "/pet/{petId}", success=pet),
            op("PUT", "/pet", pet, pet),
            op("POST", "/pet", pet, pet),
        ]
    )
    assert kinds(model)[("PUT", "/pet")] == ("update", "/pet")
    assert kinds(model)[("POST", "/pet")] == ("create", "/pet")
    assert model.collections["/pet"].id_field == "id"


def test_template_that_lists_items_below_it_is_a_scoped_collection() -> None:
    entry = obj(key=STR, value=STR)
    model = infer_model(
        [
            op("GET", "/taxonomies/{namespace}", success=obj(entries=array(entry))),
            op("GET", "/taxonomies/{namespace}/{key}", success=entry),
        ]
    )
    assert list(model.collections) == ["/taxonomies/{namespace}"]
    collection = model.collections["/taxonomies/{namespace}"]
    assert collection.item_path == "/taxonomies/{namespace}/{key}"
    assert collection.scope_params == ("namespace",)
    assert collection.id_field == "key"
    assert kinds(model) == {
        ("GET", "/taxonomies/{namespace}"): ("list", "/taxonomies/{namespace}"),
        ("GET", "/taxonomies/{namespace}/{key}"): ("read", "/taxonomies/{namespace}"),
    }


def test_id_field_named_like_the_path_parameter() -> None:
    assert id_field(obj(id=STR, memory_id=STR), "memory_id") == "memory_id"
    assert id_field(obj(id=STR, memoryId=STR), "memory_id") == "memoryId"
    assert id_field(obj(id=STR, memory_id=STR), "memoryId") == "memory_id"


def test_id_field_falls_back_to_id_then_the_only_id_like_property() -> None:
    assert id_field(obj(name=STR, id=STR, ownerId=STR), "thing_id") == "id"
    assert id_field(obj(name=STR, ownerId=STR), "thing_id") == "ownerId"
    assert id_field(obj(name=STR, ownerId=STR, teamId=STR), "thing_id") is None
    assert id_field(obj(name=STR), "thing_id") is None
    assert id_field(None, "thing_id") is None


def test_id_field_through_the_model() -> None:
    camel = obj(memoryId=STR, text=STR)
    model = infer_model([op("GET", "/memories/{memory_id}", success=camel)])
    assert model.collections["/memories"].id_field == "memoryId"


def test_profile_identity_overrides_the_id_field() -> None:
    article = obj(id=STR, slug=STR, title=STR)
    model = infer_model(
        [
            op("GET", "/articles", success=array(article)),
            op("GET", "/articles/{ref}", success=article, identity="slug"),
        ]
    )
    assert model.collections["/articles"].id_field == "slug"


def test_read_schema_is_the_richest_object_schema() -> None:
    full = obj(id=STR, name=STR, status=STR, created_at=STR)
    model = infer_model(
        [
            op("POST", "/jobs", obj(name=STR), obj(id=STR, status=STR)),
            op("GET", "/jobs", success=array(obj(id=STR, name=STR))),
            op("GET", "/jobs/{job_id}", success=full),
        ]
    )
    collection = model.collections["/jobs"]
    assert collection.read_schema == full
    assert collection.from_request is False


def test_read_schema_from_the_request_when_no_answer_shows_the_resource() -> None:
    body = obj(name=STR, size=INT)
    model = infer_model([op("PUT", "/jobs/{job_id}", body, None), op("DELETE", "/jobs/{job_id}")])
    collection = model.collections["/jobs"]
    assert collection.read_schema == body
    assert collection.from_request is True


def test_list_shape_bare_array() -> None:
    model = infer_model(memories())
    assert model.roles[("GET", "/memories")].list_shape == ListShape(MEMORY, None)


def test_list_shape_envelope() -> None:
    envelope = obj(data=array(MEMORY), has_more=BOOL)
    model = infer_model([*memories()[1:], op("GET", "/memories", success=envelope)])
    assert model.roles[("GET", "/memories")].list_shape == ListShape(MEMORY, "data")


def test_list_shape_prefers_the_array_of_objects() -> None:
    envelope = obj(tags=array(STR), results=array(MEMORY), total=INT)
    model = infer_model([*memories()[1:], op("GET", "/memories", success=envelope)])
    assert model.roles[("GET", "/memories")].list_shape == ListShape(MEMORY, "results")


def test_list_shape_by_the_usual_key_among_several_arrays() -> None:
    other = obj(code=STR)
    envelope = obj(warnings=array(other), items=array(MEMORY))
    model = infer_model([*memories()[1:], op("GET", "/memories", success=envelope)])
    assert model.roles[("GET", "/memories")].list_shape == ListShape(MEMORY, "items")


def test_get_on_a_collection_without_a_list_answer_has_no_role() -> None:
    model = infer_model([*memories()[1:], op("GET", "/memories", success=obj(count=INT))])
    assert model.role("GET", "/memories") is None


def test_envelope_is_unwrapped() -> None:
    article = obj(id=STR, title=STR, body=STR)
    wrapped = obj(article=article)
    assert envelope_key(wrapped) == "article"
    assert unwrap(wrapped) == article
    assert envelope_key(obj(article=STR)) is None
    assert envelope_key(obj(article=article, meta=obj(x=STR))) is None
    model = infer_model(
        [
            op("GET", "/articles/{slug}", success=wrapped),
            op("PUT", "/articles/{slug}", obj(article=obj(title=STR)), wrapped),
        ]
    )
    assert model.collections["/articles"].read_schema == article
    assert model.collections["/articles"].id_field == "id"


def test_unclassifiable_paths_get_no_role() -> None:
    model = infer_model(
        [
            *memories(),
            op("GET", "/health", success=obj(status=STR)),
            op("POST", "/search", obj(q=STR), array(MEMORY)),
            op("GET", "/stats/summary", success=obj(count=INT)),
        ]
    )
    for path in ("/health", "/search", "/stats/summary"):
        assert all(key[1] != path for key in model.roles), path
        assert path not in model.collections
    assert len(model.roles) == 5


def test_a_scoped_collection_under_a_listed_collection_is_not_its_item() -> None:
    """`/taxonomies` is listed and created, and `/taxonomies/{namespace}` lists the taxonomies
    of one namespace: the latter is a collection scoped by `namespace`, not an item."""
    listing = {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}}}}
    item = {"type": "object", "properties": {"key": {"type": "string"}}}
    shapes = [
        OperationShape("GET", "/taxonomies", None, listing),
        OperationShape("POST", "/taxonomies", item, item),
        OperationShape("GET", "/taxonomies/{namespace}", None, listing),
        OperationShape("GET", "/taxonomies/{namespace}/{key}", None, item),
    ]
    model = infer_model(shapes)
    scoped = model.role("GET", "/taxonomies/{namespace}")
    assert scoped is not None and scoped.kind == "list"
    assert scoped.collection.path == "/taxonomies/{namespace}"
    assert scoped.collection.scope_params == ("namespace",)
    read = model.role("GET", "/taxonomies/{namespace}/{key}")
    assert read is not None and read.kind == "read" and read.collection is scoped.collection
