from translators.sse import SSEDecoder, SSEEvent, encode_event


def test_events_split_by_blank_lines_with_every_line_ending(every_split):
    data = (
        b"event: ping\r\ndata: {}\r\n\r\n"
        b": a comment\n"
        b"data: first\ndata: second\n\n"
        b"id: 7\rdata: cr-only\r\r"
        b"data: caf\xc3\xa9\n\n"
    )
    events = every_split(SSEDecoder, data)
    assert events == [
        SSEEvent(data="{}", event="ping"),
        SSEEvent(data="first\nsecond"),
        SSEEvent(data="cr-only", id="7"),
        SSEEvent(data="café", id="7"),
    ]


def test_event_without_data_is_not_dispatched_and_event_name_resets():
    decoder = SSEDecoder()
    assert decoder.feed(b"event: lonely\n\ndata: x\n\n") == [SSEEvent(data="x")]


def test_event_cut_off_by_the_end_of_the_stream_is_discarded():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: whole\n\ndata: tail\n") == [SSEEvent(data="whole")]
    assert decoder.pending
    assert decoder.close() == []


def test_field_without_space_after_colon_keeps_its_value():
    assert SSEDecoder().feed(b"data:[DONE]\n\n") == [SSEEvent(data="[DONE]")]


def test_encode_event_round_trips_multiline_data():
    raw = encode_event("a\nb", event="message_delta")
    assert raw == b"event: message_delta\ndata: a\ndata: b\n\n"
    assert SSEDecoder().feed(raw) == [SSEEvent(data="a\nb", event="message_delta")]
