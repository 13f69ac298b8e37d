using System.Buffers;

namespace AdoptionEvents.Importing;

/// <summary>
/// The file an import job reads: an upload spooled to a file of its own in <c>Import:SpoolDirectory</c> while the
/// request is read, so a file of hundreds of megabytes is not held in memory while it waits for its turn, or
/// bytes the process already has (the demo journeys). The spooled file is deleted when the upload is disposed:
/// by its job once it has run, or at once when the request fails.
/// </summary>
public sealed class ImportUpload : IDisposable
{
    private const string Prefix = "import-";
    private const string Extension = ".upload";

    private readonly string? _path;
    private readonly byte[]? _bytes;

    private ImportUpload(string? path, byte[]? bytes, long length) => (_path, _bytes, Length) = (path, bytes, length);

    public long Length { get; }

    public static ImportUpload Of(byte[] bytes) => new(null, bytes, bytes.Length);

    /// <summary>
    /// Copies the body into a new file in <paramref name="directory"/>. Null when the body is longer than
    /// <paramref name="maxBytes"/>: the copy stops there. A refused, failed or cancelled read leaves no file behind.
    /// </summary>
    public static async Task<ImportUpload?> SpoolAsync(Stream body, string directory, long maxBytes, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Prefix}{Guid.NewGuid():N}{Extension}");
        var kept = false;
        try
        {
            long length = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
                try
                {
                    int read;
                    while ((read = await body.ReadAsync(buffer, ct)) > 0)
                    {
                        length += read;
                        if (length > maxBytes)
                        {
                            return null;
                        }

                        await file.WriteAsync(buffer.AsMemory(0, read), ct);
                    }
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    // The server's own limit on the request, where it has one, met first.
                    return null;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            kept = true;
            return new ImportUpload(path, null, length);
        }
        finally
        {
            if (!kept)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Deletes the spooled uploads in <paramref name="directory"/> last written before <paramref name="before"/>; how many.</summary>
    public static int DeleteLeftovers(string directory, DateTimeOffset before)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles($"{Prefix}*{Extension}"))
        {
            if (file.LastWriteTimeUtc < before.UtcDateTime)
            {
                file.Delete();
                deleted++;
            }
        }

        return deleted;
    }

    public Stream Open() => _bytes is not null
        ? new MemoryStream(_bytes, writable: false)
        : new FileStream(_path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    public void Dispose()
    {
        if (_path is not null)
        {
            File.Delete(_path);
        }
    }
}
