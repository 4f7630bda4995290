namespace Orchestrator.Layers;

/// <summary>
/// Puts a folder made aside at its final path in one rename, so a reader sees it whole or not at all. When another
/// process put its own there first, that one stays and the one made here is deleted: both are as good.
/// </summary>
public static class FolderPlacement
{
    public static void MoveIntoPlace(string made, string place)
    {
        try
        {
            Directory.Move(made, place);
        }
        catch (IOException) when (Directory.Exists(place))
        {
            FolderDeleter.Delete(made);
        }
    }
}
