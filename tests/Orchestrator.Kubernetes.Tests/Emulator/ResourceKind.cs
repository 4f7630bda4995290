namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>One resource type the emulator serves, as discovery describes it.</summary>
public sealed record ResourceKind(string Group, string Version, string Plural, string Kind, string Singular, string[] ShortNames)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The resource as RBAC and error messages name it: <c>jobs.batch</c>, <c>pods</c>.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static readonly IReadOnlyList<ResourceKind> All =
    [
        new("", "v1", "pods", "Pod", "pod", ["po"]),
        new("", "v1", "secrets", "Secret", "secret", []),
        new("", "v1", "configmaps", "ConfigMap", "configmap", ["cm"]),
        new("", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", ["sa"]),
        new("batch", "v1", "jobs", "Job", "job", []),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", "role", []),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", "rolebinding", []),
    ];

    public static ResourceKind? Find(string group, string version, string plural) =>
        All.FirstOrDefault(k => k.Group == group && k.Version == version && k.Plural == plural);
}
