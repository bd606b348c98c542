using Akka.Actor;
using Akka.Serialization;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>
/// Akka's serializer for the journal's own format (<see cref="JournalFormat"/>), bound in hocon/engine.conf to the
/// engine's and the campaigns' events and to the upgrade state's snapshots.
/// </summary>
public sealed class JournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Written in every row this serializer wrote; never change it.</summary>
    public const int Id = 7170;

    public override int Identifier => Id;

    public override string Manifest(object o) => JournalFormat.NameOf(o.GetType());

    public override byte[] ToBinary(object obj) => JournalFormat.Write(obj);

    public override object FromBinary(byte[] bytes, string manifest) => JournalFormat.Read(bytes, manifest);
}
