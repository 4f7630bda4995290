namespace Orchestrator.Testing;

/// <summary>A real registry whose configuration refuses deletion (<c>storage.delete.enabled: false</c>, distribution's default): DELETE answers 405.</summary>
public sealed class RegistryWithoutDeletionFixture : RegistryFixture
{
    public RegistryWithoutDeletionFixture() : base(null, null, deleteEnabled: false) { }
}
