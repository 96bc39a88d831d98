"""A library: files and folders added once, indexed in SQLite (FTS5), asked as a whole.

    library_paths     where the database and the list of sources live
    source_list       the folders and files the user added (a JSON sidecar, written atomically)
    file_walker       sources → the files to index (recursive, symlink loops, Unicode names)
    file_readers      one file → its text (.txt/.md/.pdf via document_reader, .html, .docx)
    passage_splitter  document text → passages, the unit the full-text index ranks
    search_terms      text and questions → FTS5 terms (Korean/Japanese/Chinese as bigrams)
    library_index     the SQLite database: documents, passages, FTS5, recovery when corrupt
    library_sync      add / refresh / remove: only changed files are read again
    library_answerer  a question → BM25 passages → the one QuestionAnswerer → ranked answers
"""
