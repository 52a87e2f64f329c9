namespace Receiver.Feed;

/// <summary>Told of every commit of events on this instance: its feed readers wake, and the other instances are told.</summary>
internal interface IFeedSignal
{
    void Committed(long sequenceNumber);
}
