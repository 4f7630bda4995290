using System.Text.Json.Nodes;

namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>The API server's <c>Status</c> bodies (meta/v1), as sent with errors and successful deletes.</summary>
public static class StatusObjects
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details,
        ["code"] = code,
    };

    public static JsonObject Success(string name, ResourceKind kind, string uid) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject { ["name"] = name, ["group"] = kind.Group.Length == 0 ? null : kind.Group, ["kind"] = kind.Plural, ["uid"] = uid },
    };

    public static JsonObject NotFound(ResourceKind kind, string name) =>
        Failure(404, "NotFound", $"{kind.QualifiedName} \"{name}\" not found", Details(kind, name));

    public static JsonObject AlreadyExists(ResourceKind kind, string name) =>
        Failure(409, "AlreadyExists", $"{kind.QualifiedName} \"{name}\" already exists", Details(kind, name));

    public static JsonObject Invalid(ResourceKind kind, string name, string field, string problem) =>
        Failure(422, "Invalid", $"{kind.Kind}.{(kind.Group.Length == 0 ? "" : kind.Group)} \"{name}\" is invalid: {field}: {problem}".Replace(". \"", " \""),
            new JsonObject
            {
                ["name"] = name, ["group"] = kind.Group, ["kind"] = kind.Kind,
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = problem, ["field"] = field }),
            });

    public static JsonObject Forbidden(ResourceKind kind, string verb, string user, string ns, string? subresource = null)
    {
        var resource = subresource is null ? kind.Plural : $"{kind.Plural}/{subresource}";
        var group = kind.Group.Length == 0 ? "\"\"" : $"\"{kind.Group}\"";
        return Failure(403, "Forbidden",
            $"{kind.QualifiedName} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group {group} in the namespace \"{ns}\"",
            new JsonObject { ["group"] = kind.Group, ["kind"] = kind.Plural });
    }

    public static JsonObject Gone(string message) => Failure(410, "Expired", message);

    private static JsonObject Details(ResourceKind kind, string name) => new() { ["name"] = name, ["group"] = kind.Group, ["kind"] = kind.Plural };
}
