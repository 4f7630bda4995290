namespace Orchestrator.Tests.Recipes.Library;

/// <summary>Reads the one fact the tests need from a 64-bit little-endian ELF file: whether it asks for a program interpreter.</summary>
internal static class ElfHeaders
{
    private const uint ProgramInterpreter = 3; // PT_INTERP: the dynamic loader of a dynamically linked program

    public static bool HasInterpreter(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var ident = reader.ReadBytes(16);
        if (ident.Length < 16 || ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F' || ident[4] != 2 || ident[5] != 1)
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        reader.BaseStream.Position = 0x20;
        var programHeaders = reader.ReadInt64();
        reader.BaseStream.Position = 0x36;
        var entrySize = reader.ReadUInt16();
        var count = reader.ReadUInt16();
        for (var i = 0; i < count; i++)
        {
            reader.BaseStream.Position = programHeaders + (long)i * entrySize;
            if (reader.ReadUInt32() == ProgramInterpreter) return true;
        }
        return false;
    }
}
