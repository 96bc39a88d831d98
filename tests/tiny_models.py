"""Tiny random question-answering checkpoints with tokenizers made in the test: a BERT one
(WordPiece, token_type_ids) and an XLM-R one (Unigram, no token types). Seconds to build and
export, so export, parity and the CLI are tested without any download."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "The quick brown fox jumps over the lazy dog near the river bank in 1890.",
    "A BERT encoder turns the question and the passage into hidden vectors.",
    "What is the capital of France? Paris is the capital and largest city.",
    "Ada Lovelace wrote the first program for the analytical engine.",
    "위키는 간단한 마크업 언어와 웹 브라우저를 이용한다.",
    "東京は日本の首都です。人口は多い。",
    "Emoji 😀 and accents café naïve façade; Arabic مرحبا بالعالم.",
] * 20


# Corpus words up to this length are whole tokens; longer ones ("lovelace", "analytical") split
# into pieces, as real vocabularies split rarer words, so word-level views have words to merge.
WHOLE_WORD_CHARS = 7


def _corpus_words(pre_tokenizer, normalizer=None) -> list[str]:
    words = set()
    for line in CORPUS:
        text = normalizer.normalize_str(line) if normalizer is not None else line
        words.update(piece for piece, _ in pre_tokenizer.pre_tokenize_str(text))
    return sorted(w for w in words if len(w) <= WHOLE_WORD_CHARS)


def _corpus_chars(normalizer, also: str) -> list[str]:
    """Every character of the normalized corpus, and `also`: the single-character pieces."""
    return sorted({c for line in CORPUS for c in normalizer.normalize_str(line) if not c.isspace()} | set(also))


def _bert_tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    # A vocabulary made by hand, not by a trainer: tokenizers' trainers break ties in hash order,
    # so a trained vocabulary (and every tokenization in the tests) changed from run to run.
    # Short corpus words are one token; any other word falls back to its characters (## pieces).
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = _corpus_words(pre_tokenizer, normalizer)
    chars = _corpus_chars(normalizer, "abcdefghijklmnopqrstuvwxyz0123456789")
    pieces = specials + words + [c for c in chars if c not in words] + ["##" + c for c in chars]
    tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(dict.fromkeys(pieces))}, unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    tok.decoder = decoders.WordPiece()
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=512,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def _xlmr_tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    # Made by hand for the same reason as the BERT one: whole corpus words ("▁word") score higher
    # than single characters, so corpus words stay whole and others split into characters.
    normalizer = normalizers.NFKC()
    pre_tokenizer = pre_tokenizers.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    words = _corpus_words(pre_tokenizer, normalizer)
    chars = _corpus_chars(normalizer, "▁abcdefghijklmnopqrstuvwxyz0123456789")
    vocab = [(p, 0.0) for p in specials] + [(w, -2.0) for w in words]
    vocab += [(c, -8.0) for c in chars if c not in words]
    tok = Tokenizer(models.Unigram(vocab, unk_id=specials.index("<unk>")))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    tok.decoder = decoders.Metaspace()
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>", model_max_length=512,
    )


def build_tiny_checkpoint(out: Path, kind: str = "bert", seed: int = 0) -> Path:
    """Save a random tiny QA checkpoint (PyTorch weights + fast tokenizer) to `out`."""
    import torch
    from transformers import (BertConfig, BertForQuestionAnswering, XLMRobertaConfig,
                              XLMRobertaForQuestionAnswering)

    torch.manual_seed(seed)
    if kind == "bert":
        tokenizer = _bert_tokenizer()
        config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=64, max_position_embeddings=512,
                            type_vocab_size=2)
        model = BertForQuestionAnswering(config)
    elif kind == "xlmr":
        tokenizer = _xlmr_tokenizer()
        config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=64, max_position_embeddings=514,
                                  type_vocab_size=1, pad_token_id=tokenizer.pad_token_id,
                                  bos_token_id=0, eos_token_id=2)
        model = XLMRobertaForQuestionAnswering(config)
    else:
        raise ValueError(kind)
    # Larger-than-default head weights so the random logits are well spread (clear top-k order).
    with torch.no_grad():
        model.qa_outputs.weight.normal_(0, 1.0)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
